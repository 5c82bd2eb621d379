#include "controller/fleet/fleet_controller.h"

#include <atomic>
#include <list>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "agent/metrics/metrics_http.h"
#include "agent/rpc/tls_files.h"
#include "agent/service/agent_server.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"
#include "controller/cli/resolver.h"
#include "controller/fleet/agent_hub.h"
#include "controller/fleet/fleet_http.h"
#include "controller/fleet/history_fleet_store.h"
#include "controller/fleet/scheduler.h"
#include "controller/paired/grpc_endpoint.h"

namespace pathpair::fleet {

// A replica counts as alive while its heartbeats are this recent.
constexpr absl::Duration kReplicaAlive = absl::Seconds(10);

class FleetController::Impl {
 public:
  Impl(FleetConfig config, FleetControllerOptions options, std::unique_ptr<HistoryFleetStore> store)
      : options_(std::move(options)),
        config_(std::make_shared<const FleetConfig>(std::move(config))),
        store_(std::move(store)),
        scheduler_(
            {.store = store_.get(),
             .replica = options_.replica,
             .start_run = [this](const ScheduledTest& t, const SlotKey& s) { StartRun(t, s); },
             .lease = {},
             .may_claim = [this](const ScheduledTest& t) { return MayClaim(t); }}) {
    scheduler_.SetTests(config_->tests);
  }

  absl::Status Open() {
    PATHPAIR_RETURN_IF_ERROR(ReadSecurity(*config_));
    if (!config_->listen.empty()) {
      AgentHubOptions hub;
      hub.agent_token = token_;
      hub.allow_unauthenticated = token_.empty() && config_->security.insecure;
      hub.calls.bearer_token = token_;
      hub.on_presence = [this](const AgentPresence& p) {
        log::Log(log::Level::kInfo, p.connected ? "agent_connected" : "agent_disconnected",
                 {{"agent", p.name}, {"peer", p.peer}, {"reason", p.reason.message()}});
        absl::Status recorded =
            store_->SetAgentPresence(p.name, options_.replica, p.connected, absl::Now());
        if (!recorded.ok()) {
          log::Log(log::Level::kWarning, "presence_store_failed",
                   {{"agent", p.name}, {"error", recorded.message()}});
        }
      };
      hub_ = std::make_unique<AgentHub>(std::move(hub));
      std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
      if (!config_->security.insecure) {
        PATHPAIR_ASSIGN_OR_RETURN(credentials, agent::MakeServerCredentials(agent::TlsFiles{
                                                   .cert = config_->security.tls_cert,
                                                   .key = config_->security.tls_key,
                                                   .ca = config_->security.tls_ca}));
      }
      PATHPAIR_ASSIGN_OR_RETURN(grpc_server_,
                                agent::BuildAgentServer(config_->listen, credentials, hub_.get(),
                                                        &listen_port_, /*reflection=*/false));
    }
    const std::string http =
        options_.http_listen.empty() ? config_->http_listen : options_.http_listen;
    if (!http.empty()) {
      PATHPAIR_ASSIGN_OR_RETURN(const auto host_port, paired::SplitHostPort(http));
      PATHPAIR_ASSIGN_OR_RETURN(
          http_, agent::metrics::MetricsHttpServer::StartWithHandler(
                     host_port.first, host_port.second, [this](const std::string& path) {
                       return HandleFleetRequest(path, *store_, absl::Now());
                     }));
    }
    log::Log(log::Level::kInfo, "serve_started",
             {{"replica", options_.replica},
              {"database", store_->history().path()},
              {"tests", config_->tests.size()},
              {"listen_port", listen_port_},
              {"http_port", http_port()}});
    return absl::OkStatus();
  }

  void Tick(absl::Time now) {
    if (now - last_heartbeat_ >= options_.heartbeat_every) {
      last_heartbeat_ = now;
      absl::Status beat = store_->history().Heartbeat(options_.replica, options_.version, now);
      if (!beat.ok()) {
        log::Log(log::Level::kWarning, "heartbeat_failed", {{"error", beat.message()}});
      }
      RefreshReplicas(now);
    }
    Reap();
    scheduler_.Tick(now);
  }

  void Reload(FleetConfig config) {
    const FleetConfig& old = *config_;
    if (config.database != old.database || config.listen != old.listen ||
        config.http_listen != old.http_listen) {
      log::Log(
          log::Level::kWarning, "reload_needs_restart",
          {{"what", "database, listen and http_listen keep their old values until a restart"}});
    }
    if (absl::Status s = ReadSecurity(config); !s.ok()) {
      log::Log(log::Level::kError, "reload_failed",
               {{"error", s.message()}, {"kept", "the old config"}});
      return;
    }
    scheduler_.SetTests(config.tests);
    absl::MutexLock lock(&mu_);
    config_ = std::make_shared<const FleetConfig>(std::move(config));
    log::Log(log::Level::kInfo, "config_reloaded", {{"tests", config_->tests.size()}});
  }

  ~Impl() { Shutdown(); }

  void Shutdown() {
    if (shut_down_) return;
    shut_down_ = true;
    stop_.Cancel();
    std::list<Running> runs;
    {
      absl::MutexLock lock(&mu_);
      runs.swap(running_);
    }
    for (Running& run : runs) run.thread.join();
    if (hub_ != nullptr) hub_->Shutdown();
    if (grpc_server_ != nullptr) grpc_server_->Shutdown(gpr_now(GPR_CLOCK_REALTIME));
    http_.reset();
    log::Log(log::Level::kInfo, "serve_stopped", {{"replica", options_.replica}});
  }

  int http_port() const { return http_ != nullptr ? http_->port() : 0; }
  int listen_port() const { return listen_port_; }

 private:
  struct Running {
    std::string test_key;
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };

  absl::Status ReadSecurity(const FleetConfig& config) {
    if (!config.security.token_file.empty()) {
      absl::StatusOr<std::string> token = agent::ReadTokenFile(config.security.token_file);
      if (!token.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("security.token_file: ", token.status().message()));
      }
      token_ = *token;
    }
    PATHPAIR_ASSIGN_OR_RETURN(
        std::shared_ptr<grpc::ChannelCredentials> credentials,
        paired::MakeAgentCredentials(config.security.insecure, config.security.tls_ca,
                                     config.security.tls_cert, config.security.tls_key));
    absl::MutexLock lock(&mu_);
    connection_.credentials = std::move(credentials);
    connection_.bearer_token = token_;
    return absl::OkStatus();
  }

  // Whether the replica may claim `test` now: every dial-in agent of it is held here, or by no
  // live replica (then the run records that it is not connected).
  bool MayClaim(const ScheduledTest& test) {
    std::shared_ptr<const FleetConfig> config = Config();
    for (const std::string& name : {test.client, test.server}) {
      const AgentConfig* agent = config->FindAgent(name);
      if (agent == nullptr || !agent->dial_in) continue;
      if (hub_ != nullptr && hub_->IsConnected(name)) continue;
      absl::StatusOr<history::AgentPresence> presence = store_->history().GetAgentPresence(name);
      if (!presence.ok()) continue;  // never seen anywhere: record it as not connected
      absl::MutexLock lock(&mu_);
      if (presence->connected && presence->replica != options_.replica &&
          live_replicas_.contains(presence->replica)) {
        return false;  // its replica runs it
      }
    }
    return true;
  }

  void RefreshReplicas(absl::Time now) {
    absl::StatusOr<std::vector<history::ReplicaRecord>> replicas = store_->history().ListReplicas();
    if (!replicas.ok()) return;
    absl::flat_hash_set<std::string> live;
    for (const history::ReplicaRecord& r : *replicas) {
      if (now - r.last_heartbeat <= kReplicaAlive) live.insert(r.replica);
    }
    absl::MutexLock lock(&mu_);
    live_replicas_ = std::move(live);
  }

  std::shared_ptr<const FleetConfig> Config() {
    absl::MutexLock lock(&mu_);
    return config_;
  }

  void StartRun(const ScheduledTest& test, const SlotKey& slot) {
    auto done = std::make_shared<std::atomic<bool>>(false);
    std::shared_ptr<const FleetConfig> config = Config();
    paired::AgentConnectionOptions connection;
    {
      absl::MutexLock lock(&mu_);
      connection = connection_;
    }
    std::thread thread([this, test, slot, config, connection, done] {
      SlotRunnerDeps deps;
      deps.replica = options_.replica;
      deps.connect =
          [this, connection](
              const AgentConfig& agent) -> absl::StatusOr<std::unique_ptr<paired::Endpoint>> {
        if (agent.dial_in) {
          if (hub_ == nullptr) return absl::UnavailableError("the config has no listen:");
          return hub_->EndpointFor(agent.name);
        }
        return std::unique_ptr<paired::Endpoint>(
            std::make_unique<paired::GrpcAgentEndpoint>(agent.address, connection));
      };
      deps.target_of = [](const AgentConfig& agent) -> absl::StatusOr<std::string> {
        if (!agent.target.empty()) return agent.target;
        PATHPAIR_ASSIGN_OR_RETURN(const auto host_port, paired::SplitHostPort(agent.address));
        cli::SystemHostResolver resolver;
        absl::StatusOr<IpAddress> address = resolver.Resolve(host_port.first, 0);
        if (!address.ok()) {
          return absl::UnavailableError(
              absl::StrCat("agent ", agent.name, ": '", host_port.first, "' does not resolve"));
        }
        return address->ToString();
      };
      deps.paired = paired::SystemPairedDeps();
      deps.sleep = [this](absl::Duration d) { stop_.WaitFor(d); };
      deps.stop = &stop_;
      (void)RunSlot(test, *config, slot, *store_, deps);  // errors are logged by RunSlot
      done->store(true);
    });
    absl::MutexLock lock(&mu_);
    running_.push_back({test.key, std::move(thread), done});
  }

  // Joins the runs that ended and tells the scheduler.
  void Reap() {
    std::list<Running> ended;
    {
      absl::MutexLock lock(&mu_);
      for (auto it = running_.begin(); it != running_.end();) {
        if (it->done->load()) {
          ended.splice(ended.end(), running_, it++);
        } else {
          ++it;
        }
      }
    }
    for (Running& run : ended) {
      run.thread.join();
      scheduler_.RunEnded(run.test_key);
    }
  }

  const FleetControllerOptions options_;
  absl::Mutex mu_;
  std::shared_ptr<const FleetConfig> config_ ABSL_GUARDED_BY(mu_);
  paired::AgentConnectionOptions connection_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> live_replicas_ ABSL_GUARDED_BY(mu_);
  std::list<Running> running_ ABSL_GUARDED_BY(mu_);
  std::string token_;
  std::unique_ptr<HistoryFleetStore> store_;
  Scheduler scheduler_;  // used from the Tick thread only
  std::unique_ptr<AgentHub> hub_;
  std::unique_ptr<grpc::Server> grpc_server_;
  int listen_port_ = 0;
  std::unique_ptr<agent::metrics::MetricsHttpServer> http_;
  paired::CancelToken stop_;
  absl::Time last_heartbeat_ = absl::InfinitePast();
  bool shut_down_ = false;  // Shutdown ran (called from the main thread only)
};

absl::StatusOr<std::unique_ptr<FleetController>> FleetController::Start(
    FleetConfig config, FleetControllerOptions options) {
  const std::string database = config.database.empty() ? options.default_database : config.database;
  absl::StatusOr<std::unique_ptr<history::HistoryStore>> db = history::HistoryStore::Open(database);
  if (!db.ok()) {
    return absl::Status(db.status().code(), absl::StrCat("database: ", db.status().message()));
  }
  auto impl = std::make_unique<Impl>(std::move(config), std::move(options),
                                     std::make_unique<HistoryFleetStore>(*std::move(db)));
  PATHPAIR_RETURN_IF_ERROR(impl->Open());
  return std::unique_ptr<FleetController>(new FleetController(std::move(impl)));
}

FleetController::FleetController(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FleetController::~FleetController() = default;
void FleetController::Tick(absl::Time now) { impl_->Tick(now); }
void FleetController::Reload(FleetConfig config) { impl_->Reload(std::move(config)); }
void FleetController::Shutdown() { impl_->Shutdown(); }
int FleetController::http_port() const { return impl_->http_port(); }
int FleetController::listen_port() const { return impl_->listen_port(); }

}  // namespace pathpair::fleet
