# pd_engine: real staged training with LibTorch (included by engine/CMakeLists.txt).
find_package(Threads REQUIRED)
find_package(ZLIB REQUIRED)
add_library(pd_engine STATIC
  model.cpp model.h
  data.cpp data.h
  runtime.cpp runtime.h runtime_internal.h
  train_cli.cpp train_cli.h
  rank.cpp rank.h
)
target_include_directories(pd_engine PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_include_directories(pd_engine SYSTEM PUBLIC ${TORCH_INCLUDE_DIRS})
target_link_libraries(pd_engine PUBLIC pd_schedule ${TORCH_LIBRARIES} Threads::Threads ${CMAKE_DL_LIBS} ZLIB::ZLIB
  PRIVATE pd_warnings)
if(TORCH_CUDA_LIBRARIES)
  target_compile_definitions(pd_engine PRIVATE PD_TORCH_CUDA=1)
endif()
set_target_properties(pd_engine PROPERTIES POSITION_INDEPENDENT_CODE ON)

# Distributed stages (engine/rank.cpp): c10d's TCPStore is in every
# LibTorch; ProcessGroupGloo needs Gloo's headers and code (Debian: the
# libgloo-dev package; pip wheels: headers in torch/include, code inside
# libtorch_cpu) and USE_C10D_GLOO; ProcessGroupNCCL exists in CUDA builds
# only and needs nccl.h. Each is enabled only when a program using it
# compiles and links here. Without them the threaded runtime still builds
# and the distributed backends are reported unavailable.
include(CheckCXXSourceCompiles)
find_path(PD_GLOO_INCLUDE gloo/config.h HINTS ${TORCH_INCLUDE_DIRS})
find_library(PD_GLOO_LIBRARY NAMES gloo)
find_path(PD_C10D_INCLUDE torch/csrc/distributed/c10d/ProcessGroupGloo.hpp HINTS ${TORCH_INCLUDE_DIRS})
function(pd_check_c10d result definition include_dirs libraries source)
  set(CMAKE_REQUIRED_FLAGS "${TORCH_CXX_FLAGS} -std=c++17")
  set(CMAKE_REQUIRED_DEFINITIONS ${definition})
  set(CMAKE_REQUIRED_INCLUDES ${TORCH_INCLUDE_DIRS} ${include_dirs})
  set(CMAKE_REQUIRED_LIBRARIES ${TORCH_LIBRARIES} ${libraries})
  set(CMAKE_REQUIRED_QUIET ON)
  check_cxx_source_compiles("${source}" ${result})
endfunction()
# Cached (internal) so that tests/ and its benchmarks see it.
set(PD_HAVE_GLOO OFF CACHE INTERNAL "")
if(PD_GLOO_INCLUDE AND PD_C10D_INCLUDE)
  set(pd_gloo_libs "")
  if(PD_GLOO_LIBRARY)
    set(pd_gloo_libs ${PD_GLOO_LIBRARY})
  endif()
  pd_check_c10d(PD_C10D_GLOO_LINKS -DUSE_C10D_GLOO "${PD_GLOO_INCLUDE}" "${pd_gloo_libs}" "
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
int main() { return c10d::ProcessGroupGloo::createDeviceForHostname(\"127.0.0.1\") ? 0 : 1; }")
  if(PD_C10D_GLOO_LINKS)
    set(PD_HAVE_GLOO ON CACHE INTERNAL "")
    target_compile_definitions(pd_engine PRIVATE USE_C10D_GLOO PD_HAVE_GLOO=1)
    target_include_directories(pd_engine SYSTEM PRIVATE ${PD_GLOO_INCLUDE})
    target_link_libraries(pd_engine PUBLIC ${pd_gloo_libs})
    # The launcher (runreport.cpp, no torch) says whether ranks can run.
    target_compile_definitions(pd_schedule PRIVATE PD_HAVE_GLOO=1)
  endif()
endif()
if(PD_HAVE_GLOO)
  message(STATUS "Distributed stages: Gloo")
else()
  message(STATUS "Distributed stages: no Gloo (install libgloo-dev); --backend gloo unavailable")
endif()
if(TORCH_CUDA_LIBRARIES AND PD_C10D_INCLUDE)
  # pip's CUDA wheels keep nccl.h in the nvidia-nccl package beside torch.
  execute_process(COMMAND python3 -c "import nvidia.nccl; print(list(nvidia.nccl.__path__)[0] + '/include')"
    OUTPUT_VARIABLE pd_pip_nccl OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  find_path(PD_NCCL_INCLUDE nccl.h HINTS ${TORCH_INCLUDE_DIRS} ${pd_pip_nccl} ENV CUDA_HOME PATH_SUFFIXES include)
  if(PD_NCCL_INCLUDE)
    pd_check_c10d(PD_C10D_NCCL_LINKS -DUSE_C10D_NCCL "${PD_NCCL_INCLUDE}" "" "
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
int main() { return c10d::ProcessGroupNCCL::Options::create() ? 0 : 1; }")
  endif()
  if(PD_C10D_NCCL_LINKS)
    target_compile_definitions(pd_engine PRIVATE USE_C10D_NCCL PD_HAVE_NCCL=1)
    target_include_directories(pd_engine SYSTEM PRIVATE ${PD_NCCL_INCLUDE})
    target_compile_definitions(pd_schedule PRIVATE PD_HAVE_NCCL=1)
    message(STATUS "Distributed stages: NCCL (CUDA LibTorch)")
  else()
    message(STATUS "Distributed stages: no NCCL (no nccl.h, or ProcessGroupNCCL does not link)")
  endif()
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
