# bench_ui: the run model's open and ingest paths and the timeline's paint
# time at 1M boxes. Prints measured figures; not a test.
if(TARGET pd_ui)
  add_executable(bench_ui bench_ui.cpp)
  target_link_libraries(bench_ui PRIVATE pd_ui pd_warnings)
endif()
