# pd_engine: real staged training with LibTorch (included by engine/CMakeLists.txt).
find_package(Threads REQUIRED)
add_library(pd_engine STATIC
  model.cpp model.h
  data.cpp data.h
  runtime.cpp runtime.h runtime_internal.h
  train_cli.cpp train_cli.h
  rank.cpp rank.h
)
target_include_directories(pd_engine PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_include_directories(pd_engine SYSTEM PUBLIC ${TORCH_INCLUDE_DIRS})
target_link_libraries(pd_engine PUBLIC pd_schedule ${TORCH_LIBRARIES} Threads::Threads ${CMAKE_DL_LIBS}
  PRIVATE pd_warnings)
if(TORCH_CUDA_LIBRARIES)
  target_compile_definitions(pd_engine PRIVATE PD_TORCH_CUDA=1)
endif()
set_target_properties(pd_engine PROPERTIES POSITION_INDEPENDENT_CODE ON)

# Distributed stages (engine/rank.cpp): c10d's TCPStore is in every
# LibTorch; ProcessGroupGloo needs Gloo's headers and library (Debian:
# libgloo-dev) and USE_C10D_GLOO; ProcessGroupNCCL exists in CUDA builds
# only. Without them the threaded runtime still builds and the distributed
# backends are reported unavailable at run time.
find_path(PD_GLOO_INCLUDE gloo/config.h)
find_library(PD_GLOO_LIBRARY NAMES gloo)
find_path(PD_C10D_INCLUDE torch/csrc/distributed/c10d/ProcessGroupGloo.hpp HINTS ${TORCH_INCLUDE_DIRS})
if(PD_GLOO_INCLUDE AND PD_GLOO_LIBRARY AND PD_C10D_INCLUDE)
  target_compile_definitions(pd_engine PRIVATE USE_C10D_GLOO PD_HAVE_GLOO=1)
  # The launcher (runreport.cpp, no torch) says whether ranks can run.
  target_compile_definitions(pd_schedule PRIVATE PD_HAVE_GLOO=1)
  target_link_libraries(pd_engine PUBLIC ${PD_GLOO_LIBRARY})
  message(STATUS "Distributed stages: Gloo (${PD_GLOO_LIBRARY})")
else()
  message(STATUS "Distributed stages: no Gloo (install libgloo-dev); --backend gloo unavailable")
endif()
if(TORCH_CUDA_LIBRARIES AND PD_C10D_INCLUDE)
  target_compile_definitions(pd_engine PRIVATE USE_C10D_NCCL PD_HAVE_NCCL=1)
  target_compile_definitions(pd_schedule PRIVATE PD_HAVE_NCCL=1)
  message(STATUS "Distributed stages: NCCL (CUDA LibTorch)")
endif()

# pipedream-train's training mode as a module it loads with dlopen when it
# trains, next to the executable, so that --help and --dry-run start without
# LibTorch (engine/train_module.cpp).
add_library(pd_train_module MODULE train_module.cpp)
target_link_libraries(pd_train_module PRIVATE pd_engine pd_warnings)
set_target_properties(pd_train_module PROPERTIES
  PREFIX "" OUTPUT_NAME "pipedream-train-engine"
  LIBRARY_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/app")

# The CUDA path compiled (not linked, never run) against this LibTorch's own
# CUDA headers when LibTorch is CPU-only but a CUDA toolkit is installed, so
# that code cannot rot unseen on machines without a GPU. Debian's LibTorch
# ships the c10/cuda headers but not the one CMake generates for them
# (c10/cuda/impl/cuda_cmake_macros.h); it is written here as a shared-library
# LibTorch's build writes it.
option(PD_CUDA_COMPILE_CHECK "Compile the CUDA path of the runtime when LibTorch is CPU-only" ON)
if(PD_CUDA_COMPILE_CHECK AND NOT TORCH_CUDA_LIBRARIES)
  find_package(CUDAToolkit QUIET)
  find_path(PD_C10_CUDA_INCLUDE c10/cuda/CUDAStream.h HINTS ${TORCH_INCLUDE_DIRS})
  if(CUDAToolkit_FOUND AND PD_C10_CUDA_INCLUDE)
    set(pd_cuda_shim ${CMAKE_CURRENT_BINARY_DIR}/cuda_check_include)
    if(NOT EXISTS ${PD_C10_CUDA_INCLUDE}/c10/cuda/impl/cuda_cmake_macros.h)
      file(WRITE ${pd_cuda_shim}/c10/cuda/impl/cuda_cmake_macros.h
        "#pragma once\n#define C10_CUDA_BUILD_SHARED_LIBS\n")
    endif()
    add_library(pd_engine_cuda_check OBJECT runtime.cpp)
    target_compile_definitions(pd_engine_cuda_check PRIVATE PD_TORCH_CUDA=1)
    target_include_directories(pd_engine_cuda_check SYSTEM PRIVATE
      ${pd_cuda_shim} ${CUDAToolkit_INCLUDE_DIRS})
    target_link_libraries(pd_engine_cuda_check PRIVATE pd_engine pd_warnings)
    message(STATUS "CUDA path: compile check against CUDA ${CUDAToolkit_VERSION} headers")
  else()
    message(STATUS "CUDA path: not compiled (no CUDA toolkit or no c10/cuda headers)")
  endif()
endif()
