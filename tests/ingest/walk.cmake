# ingest/walk tests: globs, ignore rules, the file walker and binary sniffing.
lateral_add_test(walk_glob_test walk/glob_test.cc LIBS lateral_ingest)
lateral_add_test(walk_ignore_rules_test walk/ignore_rules_test.cc LIBS lateral_ingest)
lateral_add_test(walk_file_walker_test walk/file_walker_test.cc LIBS lateral_ingest)
lateral_add_test(walk_binary_sniff_test walk/binary_sniff_test.cc LIBS lateral_ingest)
