# pd_engine: real staged training with LibTorch (included by engine/CMakeLists.txt).
find_package(Threads REQUIRED)
add_library(pd_engine STATIC
  model.cpp model.h
  data.cpp data.h
  runtime.cpp runtime.h runtime_internal.h
  train_cli.cpp train_cli.h
)
target_include_directories(pd_engine PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_include_directories(pd_engine SYSTEM PUBLIC ${TORCH_INCLUDE_DIRS})
target_link_libraries(pd_engine PUBLIC pd_schedule ${TORCH_LIBRARIES} Threads::Threads ${CMAKE_DL_LIBS}
  PRIVATE pd_warnings)
if(TORCH_CUDA_LIBRARIES)
  target_compile_definitions(pd_engine PRIVATE PD_TORCH_CUDA=1)
endif()
set_target_properties(pd_engine PROPERTIES POSITION_INDEPENDENT_CODE ON)
