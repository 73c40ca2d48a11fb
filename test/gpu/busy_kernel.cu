// A busy kernel launched back to back for `seconds` (argv[1]); used by sm_limit.sh.
#include <chrono>
#include <cstdio>
#include <cstdlib>

__global__ void Spin(long long cycles) {
  long long start = clock64();
  while (clock64() - start < cycles) {
  }
}

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? atof(argv[1]) : 10;
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  int sms = 0;
  cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0);
  while (std::chrono::steady_clock::now() < end) {
    Spin<<<sms * 4, 256>>>(200000);
    cudaDeviceSynchronize();
  }
  return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
