# Distributed stages (rank.cpp): c10d's TCPStore is in every
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
    target_compile_definitions(pd_rank PRIVATE USE_C10D_GLOO PD_HAVE_GLOO=1)
    target_include_directories(pd_rank SYSTEM PRIVATE ${PD_GLOO_INCLUDE})
    target_link_libraries(pd_rank PUBLIC ${pd_gloo_libs})
    # backends.cpp (no torch) says whether ranks can run.
    target_compile_definitions(pd_distributed PRIVATE PD_HAVE_GLOO=1)
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
    target_compile_definitions(pd_rank PRIVATE USE_C10D_NCCL PD_HAVE_NCCL=1)
    target_include_directories(pd_rank SYSTEM PRIVATE ${PD_NCCL_INCLUDE})
    target_compile_definitions(pd_distributed PRIVATE PD_HAVE_NCCL=1)
    message(STATUS "Distributed stages: NCCL (CUDA LibTorch)")
  else()
    message(STATUS "Distributed stages: no NCCL (no nccl.h, or ProcessGroupNCCL does not link)")
  endif()
endif()

