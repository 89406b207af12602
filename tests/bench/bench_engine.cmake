# bench_engine: pipelined vs sequential speedup, engine overhead per slot,
# stash memory, default-run loss curve. Prints measured figures; not a test.
if(TARGET pd_engine)
  add_executable(bench_engine bench_engine.cpp)
  target_link_libraries(bench_engine PRIVATE pd_engine pd_warnings)
endif()

# bench_distributed: Gloo between processes against the in-process hand-over
# (latency, bandwidth, 1 KB - 8 MB) and the default run's samples/s with
# threads and 4 local Gloo processes, with the clock alignment's error.
if(TARGET pd_engine AND PD_HAVE_GLOO)
  add_executable(bench_distributed bench_distributed.cpp)
  target_compile_definitions(bench_distributed PRIVATE USE_C10D_GLOO)
  target_include_directories(bench_distributed SYSTEM PRIVATE ${PD_GLOO_INCLUDE})
  target_link_libraries(bench_distributed PRIVATE pd_engine pd_warnings)
endif()

# bench_workloads: the cnn on Fashion-MNIST per schedule (held-out accuracy,
# time per epoch) and the gpt on the fortunes (held-out loss against the
# unigram entropy). Needs dataset-fashion-mnist and fortunes.
if(TARGET pd_engine)
  add_executable(bench_workloads bench_workloads.cpp)
  target_link_libraries(bench_workloads PRIVATE pd_engine pd_warnings)
endif()

# bench_partition: every partitioner's cut of the cnn and the gpt at S = 2
# and 4 from one measured profile: predicted against measured makespan,
# samples/s against the uniform cut's.
if(TARGET pd_engine)
  add_executable(bench_partition bench_partition.cpp)
  target_link_libraries(bench_partition PRIVATE pd_engine pd_warnings)
endif()
