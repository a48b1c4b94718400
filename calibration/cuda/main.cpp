// SPDX-License-Identifier: Apache-2.0
// dsim-calibrate: runs the command line and maps its failures to exit codes.
#include <cstdio>
#include <exception>

#include "calibration/cuda/cli.hpp"
#include "calibration/cuda/cuda_check.hpp"
#include "calibration/cuda/kernel_list.hpp"

int main(int argc, char** argv) {
  namespace cal = dsim::calibration::cuda;
  const auto fail = [](const std::exception& e, int code) {
    std::fprintf(stderr, "dsim-calibrate: %s\n", e.what());
    return code;
  };
  try {
    return cal::run_cli(argc, argv);
  } catch (const cal::InputError& e) {
    return fail(e, 2);
  } catch (const cal::UsageError& e) {
    return fail(e, 2);
  } catch (const cal::NoGpuError& e) {
    return fail(e, e.self_test ? 77 : 3);
  } catch (const cal::SelfCheckFailed& e) {
    return fail(e, 1);
  } catch (const cal::KernelsNotTimed& e) {
    return fail(e, 1);
  } catch (const cal::CudaError& e) {
    return fail(e, 1);
  } catch (const std::exception& e) {
    return fail(e, 1);
  }
}
