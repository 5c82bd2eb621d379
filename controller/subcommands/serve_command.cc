#include "controller/subcommands/serve_command.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "agent/rpc/grpc_log.h"
#include "common/log/log.h"
#include "common/status/exit_codes.h"
#include "common/status/status_macros.h"
#include "controller/cli/resolver.h"
#include "controller/fleet/fleet_config.h"
#include "controller/fleet/fleet_controller.h"
#include "controller/paired/orchestrator.h"
#include "controller/subcommands/command_line.h"

namespace pathpair::subcommands {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload{false};
extern "C" void OnServeStop(int) { g_stop.store(true); }
extern "C" void OnServeReload(int) { g_reload.store(true); }

constexpr char kServeDescription[] =
    "Runs the fleet controller: paired tests between the config's agents on its schedule,\n"
    "results in one database (SQLite or PostgreSQL, shared by any number of replicas),\n"
    "/metrics, /runs, /runs/RUN_ID and /healthz over HTTP. SIGHUP reloads the config;\n"
    "SIGTERM stops (running tests are stopped and recorded).";

struct ServeFlags {
  std::string config;
  std::string http_listen;
  std::string listen;
  std::string replica;
  bool check = false;
};

std::string DefaultDatabase() {
  const char* state = std::getenv("STATE_DIRECTORY");  // systemd's StateDirectory=
  const std::string dir = state != nullptr && *state != '\0' ? state : "/var/lib/pathpair";
  return absl::StrCat("sqlite:", dir, "/fleet.db");
}

absl::Status Serve(const std::vector<std::string>& args, std::ostream& out) {
  CLI::App app(kServeDescription, "pathpair serve");
  ServeFlags flags;
  app.add_option("--config", flags.config, "the fleet config (YAML)")
      ->type_name("FILE")
      ->required();
  app.add_option("--http-listen", flags.http_listen, "overrides the config's http_listen")
      ->type_name("ADDR:PORT");
  app.add_option("--listen", flags.listen, "overrides the config's listen (dial-in agents)")
      ->type_name("ADDR:PORT");
  app.add_option("--replica", flags.replica, "this replica's name (default: HOST-PID)")
      ->type_name("NAME");
  app.add_flag("--check", flags.check, "check the config and exit");
  PATHPAIR_ASSIGN_OR_RETURN(const bool go_on, ParseFlags(app, args, out));
  if (!go_on) return absl::OkStatus();
  for (auto [name, value] :
       {std::pair{"--http-listen", &flags.http_listen}, std::pair{"--listen", &flags.listen}}) {
    if (value->empty()) continue;
    if (absl::Status s = paired::SplitHostPort(*value).status(); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": ", s.message()));
    }
  }
  PATHPAIR_ASSIGN_OR_RETURN(fleet::FleetConfig config, fleet::LoadFleetConfig(flags.config));
  // Replicas on one host share the config but not its ports.
  if (!flags.listen.empty()) config.listen = flags.listen;
  for (const std::string& warning : config.warnings) {
    log::Log(log::Level::kWarning, "config_warning", {{"config", flags.config}, {"what", warning}});
  }
  if (flags.check) {
    out << flags.config << ": " << config.agents.size() << " agents, " << config.tests.size()
        << " scheduled pair tests\n";
    return absl::OkStatus();
  }

  fleet::FleetControllerOptions options;
  options.replica =
      flags.replica.empty() ? absl::StrCat(cli::LocalHostName(), "-", getpid()) : flags.replica;
  options.http_listen = flags.http_listen;
  options.default_database = DefaultDatabase();
  options.version = PATHPAIR_VERSION;

  struct sigaction action {};
  sigemptyset(&action.sa_mask);
  action.sa_handler = OnServeStop;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  action.sa_handler = OnServeReload;
  sigaction(SIGHUP, &action, nullptr);

  PATHPAIR_ASSIGN_OR_RETURN(std::unique_ptr<fleet::FleetController> controller,
                            fleet::FleetController::Start(std::move(config), options));
  while (!g_stop.load()) {
    if (g_reload.exchange(false)) {
      absl::StatusOr<fleet::FleetConfig> fresh = fleet::LoadFleetConfig(flags.config);
      if (!fresh.ok()) {
        log::Log(log::Level::kError, "reload_failed",
                 {{"error", fresh.status().message()}, {"kept", "the old config"}});
      } else {
        if (!flags.listen.empty()) fresh->listen = flags.listen;
        for (const std::string& warning : fresh->warnings) {
          log::Log(log::Level::kWarning, "config_warning",
                   {{"config", flags.config}, {"what", warning}});
        }
        controller->Reload(*std::move(fresh));
      }
    }
    controller->Tick(absl::Now());
    usleep(200'000);
  }
  controller->Shutdown();
  return absl::OkStatus();
}

}  // namespace

int RunServeMain(const std::vector<std::string>& args) {
  log::SetLevel(log::Level::kInfo);
  agent::RouteGrpcLogsToLog();
  const absl::Status status = Serve(args, std::cout);
  return FinishCommand("serve", status, std::cerr);
}

}  // namespace pathpair::subcommands
