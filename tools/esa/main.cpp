// esa: command-line client of Alibaba Cloud ESA cache prefetch/purge. All logic lives in cli.hpp;
// this file only connects it to the real process. See docs/cli.md.

#include <sys/ioctl.h>
#include <unistd.h>

#include <csignal>
#include <iostream>

#include "cli.hpp"

int main(int argc, char** argv) {
  // A closed pipe (esa ... | head) must end the run with an error, not kill it mid-write.
  std::signal(SIGPIPE, SIG_IGN);
  esa_cli::environment_info info;
  info.stdout_is_terminal = ::isatty(STDOUT_FILENO) == 1;
  info.stderr_is_terminal = ::isatty(STDERR_FILENO) == 1;
  winsize ws{};
  if (info.stderr_is_terminal && ::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    info.terminal_columns = ws.ws_col;
  const int code = esa_cli::run(argc, argv, std::cout, std::cerr, info);
  std::cout.flush();
  return code;
}
