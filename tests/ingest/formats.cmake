# ingest/formats tests: format names, and extraction of every format from fixtures in
# tests/data/ingest-formats/ (make_pdf.py there writes the PDFs).
foreach(test format text_markdown html records pdf)
  lateral_add_test(ingest_formats_${test}_test formats/${test}_test.cc LIBS lateral_ingest)
endforeach()
