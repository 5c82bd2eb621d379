#include "controller/fleet/scheduler.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"

namespace pathpair::fleet {

absl::Time SlotStart(absl::Time now, absl::Duration every) {
  const int64_t every_s = std::max<int64_t>(1, absl::ToInt64Seconds(every));
  const int64_t now_s = absl::ToUnixSeconds(now);  // floor
  int64_t start = now_s / every_s * every_s;
  if (now_s < 0 && now_s % every_s != 0) start -= every_s;
  return absl::FromUnixSeconds(start);
}

Scheduler::Scheduler(Options options) : options_(std::move(options)) {
  if (!options_.lease) options_.lease = [](const ScheduledTest& t) { return t.every; };
}

void Scheduler::SetTests(std::vector<ScheduledTest> tests) {
  std::map<std::string, TestState> next;
  for (ScheduledTest& test : tests) {
    TestState state;
    if (auto it = tests_.find(test.key); it != tests_.end()) {
      state = it->second;
      // A new interval starts a new series of slots.
      if (it->second.test.every != test.every) state.handled_slot = absl::InfinitePast();
    }
    state.test = std::move(test);
    next[state.test.key] = std::move(state);
  }
  tests_ = std::move(next);
}

int Scheduler::Tick(absl::Time now) {
  int started = 0;
  int running = Running();
  for (auto& [key, state] : tests_) {
    if (running >= options_.max_running) break;
    const absl::Time slot = SlotStart(now, state.test.every);
    if (slot == state.handled_slot || now < state.next_try) continue;
    if (state.running) {
      // The previous run outlasts its interval: this slot is left to whoever claims it later
      // (another replica, or this one when the run ends).
      continue;
    }
    if (AgentBusy(state.test)) continue;  // retried next tick
    if (options_.may_claim && !options_.may_claim(state.test)) {
      state.next_try = now + absl::Seconds(1);
      continue;
    }
    const SlotKey slot_key{key, slot};
    absl::StatusOr<bool> claimed =
        options_.store->ClaimSlot(slot_key, options_.replica, now, options_.lease(state.test));
    if (!claimed.ok()) {
      log::Log(log::Level::kWarning, "slot_claim_failed",
               {{"test", key},
                {"slot", absl::FormatTime(absl::RFC3339_sec, slot, absl::UTCTimeZone())},
                {"error", claimed.status().message()},
                {"retry", "next tick"}});
      continue;
    }
    if (!*claimed) {
      // Finished or held elsewhere: look again later in the slot, in case its holder dies
      // (its lease expires) before finishing it.
      state.next_try = now + std::clamp(state.test.every / 4, absl::Seconds(1), absl::Seconds(15));
      continue;
    }
    state.handled_slot = slot;
    state.running = true;
    ++started;
    ++running;
    options_.start_run(state.test, slot_key);
  }
  return started;
}

bool Scheduler::AgentBusy(const ScheduledTest& test) const {
  for (const auto& [key, other] : tests_) {
    if (!other.running) continue;
    for (const std::string* name : {&other.test.client, &other.test.server}) {
      if (*name == test.client || *name == test.server) return true;
    }
  }
  return false;
}

void Scheduler::RunEnded(const std::string& test_key) {
  if (auto it = tests_.find(test_key); it != tests_.end()) it->second.running = false;
}

int Scheduler::Running() const {
  return static_cast<int>(std::count_if(tests_.begin(), tests_.end(),
                                        [](const auto& entry) { return entry.second.running; }));
}

namespace {

// A run that never started: both sides carry the reason.
v1::PairedRun FailedRun(const ScheduledTest& test, const SlotRunnerDeps& deps,
                        const std::string& client_error, const std::string& server_error) {
  v1::PairedRun run;
  const int64_t now = deps.paired.now_unix_us();
  run.set_run_id(deps.paired.new_run_id(absl::FromUnixMicros(now)));
  run.set_start_unix_us(now);
  run.set_end_unix_us(now);
  run.mutable_client()->set_endpoint(test.client);
  run.mutable_server()->set_endpoint(test.server);
  run.mutable_client()->set_error(client_error);
  run.mutable_server()->set_error(server_error);
  run.set_oneway_requested(test.options.oneway);
  return run;
}

absl::StatusOr<std::unique_ptr<paired::Endpoint>> Connect(const FleetConfig& config,
                                                          const std::string& name,
                                                          SlotRunnerDeps& deps) {
  const AgentConfig* agent = config.FindAgent(name);
  if (agent == nullptr) {
    return absl::NotFoundError(absl::StrCat("agent '", name, "' is not in the config"));
  }
  return deps.connect(*agent);
}

// Stores the run, retrying while the database is unreachable (each failure logged).
absl::Status StoreWithRetry(FleetStore& store, const FleetRun& run, SlotRunnerDeps& deps) {
  absl::Status saved;
  for (int attempt = 1; attempt <= deps.max_store_attempts; ++attempt) {
    saved = store.SaveRun(run);
    if (saved.ok() || absl::IsAlreadyExists(saved)) return absl::OkStatus();
    log::Log(log::Level::kWarning, "run_store_failed",
             {{"run", run.record.run_id},
              {"error", saved.message()},
              {"attempt", attempt},
              {"retry_in", absl::FormatDuration(deps.retry_every)}});
    if (attempt < deps.max_store_attempts) deps.sleep(deps.retry_every);
  }
  log::Log(log::Level::kError, "run_lost",
           {{"run", run.record.run_id},
            {"client", run.record.client},
            {"server", run.record.server},
            {"verdict", run.record.verdict},
            {"error", saved.message()}});
  return saved;
}

}  // namespace

absl::StatusOr<std::string> RunSlot(const ScheduledTest& test, const FleetConfig& config,
                                    const SlotKey& slot, FleetStore& store, SlotRunnerDeps& deps) {
  paired::CancelToken never;
  const paired::CancelToken& stop = deps.stop != nullptr ? *deps.stop : never;
  absl::StatusOr<std::unique_ptr<paired::Endpoint>> client = Connect(config, test.client, deps);
  absl::StatusOr<std::unique_ptr<paired::Endpoint>> server = Connect(config, test.server, deps);
  std::optional<v1::PairedRun> run;
  if (!client.ok() || !server.ok()) {
    run = FailedRun(test, deps, client.ok() ? "" : std::string(client.status().message()),
                    server.ok() ? "" : std::string(server.status().message()));
  } else {
    const AgentConfig& client_agent = *config.FindAgent(test.client);
    const AgentConfig& server_agent = *config.FindAgent(test.server);
    paired::PairedTestPlan plan;
    plan.probe = test.options.probe;
    plan.oneway = test.options.oneway;
    plan.oneway_count = test.options.oneway_count;
    plan.insecure = config.security.insecure;
    // Another controller (or replica) may hold an agent's limits for a moment: wait for it
    // within the slot rather than record a refusal at once.
    plan.busy_wait = std::min(test.every / 4, absl::Seconds(30));
    // A dial-in agent accepts no connection: the other end must (paired/orchestrator.h).
    plan.client_behind_nat = client_agent.dial_in;
    plan.server_behind_nat = server_agent.dial_in;
    plan.client_endpoint = client_agent.address;
    plan.server_endpoint = server_agent.address;
    absl::StatusOr<std::string> target = std::string();
    if (client_agent.dial_in && server_agent.dial_in) {
      target = absl::FailedPreconditionError(
          "both agents dial in: one end of a test must accept connections (give it an address)");
    } else if (!server_agent.dial_in) {
      target = deps.target_of(server_agent);  // else: learned from the server's Reflect
    }
    if (!target.ok()) {
      run = FailedRun(test, deps, "", std::string(target.status().message()));
    } else {
      plan.forward_target = *target;
      plan.forward_target_is_server = true;
      absl::StatusOr<v1::PairedRun> ran =
          paired::RunPairedTest(plan, **client, **server, deps.paired, stop, nullptr);
      if (ran.ok()) {
        run = *std::move(ran);
      } else {
        // Nothing started: Info or Reflect failed. The message names the end.
        run = FailedRun(test, deps, std::string(ran.status().message()), "");
      }
    }
  }
  run->mutable_client()->set_endpoint(test.client);
  run->mutable_server()->set_endpoint(test.server);
  // A listening agent counts as connected while tests reach it (Info answered); a dial-in
  // agent's presence is recorded by the hub that holds its stream.
  for (const v1::PairedSide* side : {&run->client(), &run->server()}) {
    const AgentConfig* agent = config.FindAgent(side->endpoint());
    if (agent == nullptr || agent->dial_in) continue;
    (void)store.SetAgentPresence(agent->name, deps.replica, !side->hostname().empty(),
                                 absl::FromUnixMicros(deps.paired.now_unix_us()));
  }
  const FleetRun fleet_run = MakeFleetRun(*std::move(run), test.client, test.server);
  log::Log(log::Level::kInfo, "run_done",
           {{"test", test.key},
            {"run", fleet_run.record.run_id},
            {"status", fleet_run.status},
            {"verdict", fleet_run.record.verdict},
            {"error", fleet_run.error}});
  PATHPAIR_RETURN_IF_ERROR(StoreWithRetry(store, fleet_run, deps));
  for (int attempt = 1;; ++attempt) {
    absl::Status finished = store.FinishSlot(slot, deps.replica, fleet_run.record.run_id,
                                             absl::FromUnixMicros(deps.paired.now_unix_us()));
    if (finished.ok()) break;
    if (absl::IsFailedPrecondition(finished)) {
      // Our lease ran out mid-run and another replica took the slot over: both runs are kept.
      log::Log(
          log::Level::kWarning, "slot_taken_over",
          {{"test", test.key}, {"run", fleet_run.record.run_id}, {"error", finished.message()}});
      break;
    }
    log::Log(log::Level::kWarning, "slot_finish_failed",
             {{"test", test.key}, {"run", fleet_run.record.run_id}, {"error", finished.message()}});
    // The run is stored; an unfinished slot only risks a rerun after its lease.
    if (attempt >= deps.max_store_attempts) break;
    deps.sleep(deps.retry_every);
  }
  return fleet_run.record.run_id;
}

}  // namespace pathpair::fleet
