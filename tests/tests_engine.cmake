# Engine tests (LibTorch): runtime, versioning, control, data.
if(TARGET pd_engine)
  pd_add_test(tst_runtime LIBS pd_engine TIMEOUT 120)
  pd_add_test(tst_versioning LIBS pd_engine TIMEOUT 120)
  pd_add_test(tst_control LIBS pd_engine TIMEOUT 120)
  pd_add_test(tst_data LIBS pd_engine TIMEOUT 60)
  pd_add_test(tst_models LIBS pd_engine TIMEOUT 300)
  pd_add_test(tst_training LIBS pd_engine TIMEOUT 300)
  pd_add_test(tst_profiler LIBS pd_engine TIMEOUT 120)
endif()

# Distributed stages on loopback: 2 and 4 rank processes; needs
# Gloo (engine_torch.cmake).
if(TARGET pd_engine AND PD_HAVE_GLOO)
  pd_add_test(tst_distributed LIBS pd_core TIMEOUT 600)
  target_compile_definitions(tst_distributed PRIVATE
    PD_TRAIN_EXE="$<TARGET_FILE:pipedream-train>"
    PD_CHECK_RUN_SCRIPT="${PROJECT_SOURCE_DIR}/scripts/check-run.py")
  add_dependencies(tst_distributed pipedream-train pd_train_module)
endif()

# The rendezvous store of ranks started by hand, on loopback (torch-free).
pd_add_test(tst_store LIBS pd_distributed TIMEOUT 120)
