# Engine tests (LibTorch): runtime, versioning, control, data.
if(TARGET pd_engine)
  pd_add_test(tst_runtime LIBS pd_engine TIMEOUT 120)
  pd_add_test(tst_versioning LIBS pd_engine TIMEOUT 120)
  pd_add_test(tst_control LIBS pd_engine TIMEOUT 120)
  pd_add_test(tst_data LIBS pd_engine TIMEOUT 60)
endif()
