// The `cloudlet` command. Each subcommand lives in its own file; this one
// only assembles them.
#include <signal.h>

#include <CLI/CLI.hpp>

#include "cli/app.hpp"

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);

  CLI::App app{"cloudlet: contacts API, event bus and user management on one machine"};
  app.require_subcommand(1);
  app.fallthrough();
  cloudlet::cli::GlobalOptions options;
  cloudlet::cli::add_config_flags(app, options);
  cloudlet::cli::add_up_command(app, options);
  cloudlet::cli::add_gateway_command(app, options);
  cloudlet::cli::add_events_command(app, options);
  cloudlet::cli::add_usermgmt_commands(app, options);
  cloudlet::cli::add_db_commands(app, options);
  cloudlet::cli::add_credentials_command(app, options);
  cloudlet::cli::add_openapi_command(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
