# Tests of ingest/text/: encodings, sentence boundaries, chunking.
lateral_add_test(ingest_text_encoding_test text/encoding_test.cc LIBS lateral_ingest)
lateral_add_test(ingest_text_sentences_test text/sentences_test.cc LIBS lateral_ingest)
lateral_add_test(ingest_text_chunker_test text/chunker_test.cc LIBS lateral_ingest)
