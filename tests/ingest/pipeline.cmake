lateral_add_test(ingester_test pipeline/ingester_test.cc ../storage/store_test_util.cc LIBS lateral_ingest lateral_encoder)
