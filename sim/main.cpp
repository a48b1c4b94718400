// SPDX-License-Identifier: Apache-2.0
// dsim's entry point: runs the command line and maps errors to exit codes (0 ok, 2 bad input, 1 internal error).
#include <exception>
#include <iostream>
#include <new>

#include "sim/cli/cli.hpp"
#include "sim/core/errors.hpp"

int main(int argc, char** argv) {
  try {
    return dsim::cli::run(std::vector<std::string>(argv + 1, argv + argc), std::cout);
  } catch (const dsim::InputError& e) {
    std::cerr << "dsim: error: " << e.what() << "\n";
    return 2;
  } catch (const dsim::InternalError& e) {
    std::cerr << "dsim: internal error: " << e.what() << "\n";
  } catch (const std::bad_alloc&) {
    std::cerr << "dsim: internal error: out of memory\n";
  } catch (const std::exception& e) {
    std::cerr << "dsim: internal error: " << e.what() << "\n";
  }
  return 1;
}
