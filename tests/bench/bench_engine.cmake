# bench_engine: pipelined vs sequential speedup, engine overhead per slot,
# stash memory, default-run loss curve. Prints measured figures; not a test.
if(TARGET pd_engine)
  add_executable(bench_engine bench_engine.cpp)
  target_link_libraries(bench_engine PRIVATE pd_engine pd_warnings)
endif()
