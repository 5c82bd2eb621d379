// The store's contract, run on both backends: SQLite (a temporary file, always) and PostgreSQL
// (a fresh database per test on the server tests/common/pg_server.py starts; these instances
// skip without PATHPAIR_TEST_PG_ADMIN_URL, see CMakeLists.txt's history.postgres test).
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <pqxx/pqxx>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "controller/history/history_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pathpair::history {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kT0 = absl::FromUnixSeconds(1764900000);

class StoreContractTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      char tmpl[] = "/tmp/pp-store-XXXXXX";
      ASSERT_NE(mkdtemp(tmpl), nullptr);
      dir_ = tmpl;
      location_ = absl::StrCat("sqlite:", dir_, "/store.db");
      return;
    }
    const char* admin = std::getenv("PATHPAIR_TEST_PG_ADMIN_URL");
    if (admin == nullptr || admin[0] == '\0') {
      GTEST_SKIP() << "no PostgreSQL server (run under tests/common/pg_server.py)";
    }
    admin_url_ = admin;
    std::random_device random;
    database_ = absl::StrFormat("t_%08x", random());
    pqxx::connection connection(admin_url_);
    pqxx::nontransaction(connection).exec0("CREATE DATABASE " + database_);
    location_ = absl::StrReplaceAll(admin_url_, {{"///postgres?", "///" + database_ + "?"}});
    ASSERT_NE(location_, admin_url_);
  }

  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    if (!database_.empty()) {
      pqxx::connection connection(admin_url_);
      pqxx::nontransaction(connection).exec0("DROP DATABASE " + database_ + " WITH (FORCE)");
    }
  }

  std::unique_ptr<HistoryStore> OpenStore() {
    absl::StatusOr<std::unique_ptr<HistoryStore>> store = HistoryStore::Open(location_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  static RunRecord MakeRun(absl::Time start, absl::string_view client_name,
                           absl::string_view server_name, RunStatus status,
                           absl::string_view verdict) {
    RunRecord run;
    run.run_id = NewRunId(start);
    run.start = start;
    run.end = start + absl::Seconds(10);
    run.client = "203.0.113.10:7431";
    run.server = "198.51.100.7:7431";
    run.target = "198.51.100.7";
    run.client_name = std::string(client_name);
    run.server_name = std::string(server_name);
    run.verdict = std::string(verdict);
    run.status = status;
    run.payload_format = "proto:pathpair.v1.PairedRun";
    run.payload = absl::StrCat("\x01\x02", client_name, "\xff", server_name);
    run.payload.push_back('\0');  // binary payloads survive both dialects
    return run;
  }

  std::string location_;
  std::string dir_;
  std::string admin_url_;
  std::string database_;
};

TEST_P(StoreContractTest, RunsKeepTheirAgentsNamesVerdictAndPayload) {
  std::unique_ptr<HistoryStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->is_postgres(), GetParam() == "postgres");
  RunRecord run = MakeRun(kT0, "office", "dc", RunStatus::kComplete, "degraded");
  ASSERT_TRUE(store->Save(run).ok());
  RunRecord failed = MakeRun(kT0 + absl::Seconds(30), "office", "dc", RunStatus::kFailed, "broken");
  ASSERT_TRUE(store->Save(failed).ok());
  // `pathpair test` leaves the names empty: its endpoints are the names.
  RunRecord unnamed = MakeRun(kT0 + absl::Seconds(60), "", "", RunStatus::kPartial, "healthy");
  ASSERT_TRUE(store->Save(unnamed).ok());

  absl::StatusOr<RunRecord> loaded = store->Load(run.run_id);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->client_name, "office");
  EXPECT_EQ(loaded->server_name, "dc");
  EXPECT_EQ(loaded->client, run.client);
  EXPECT_EQ(loaded->verdict, "degraded");
  EXPECT_EQ(loaded->status, RunStatus::kComplete);
  EXPECT_EQ(loaded->start, run.start);
  EXPECT_EQ(loaded->end, run.end);
  EXPECT_EQ(loaded->payload_format, run.payload_format);
  EXPECT_EQ(loaded->payload, run.payload);
  EXPECT_EQ(store->Load(failed.run_id)->status, RunStatus::kFailed);
  absl::StatusOr<RunRecord> loaded_unnamed = store->Load(unnamed.run_id);
  EXPECT_EQ(loaded_unnamed->client_name, unnamed.client);
  EXPECT_EQ(loaded_unnamed->server_name, unnamed.server);

  absl::StatusOr<std::vector<RunSummary>> newest = store->List(2);
  ASSERT_TRUE(newest.ok());
  ASSERT_EQ(newest->size(), 2u);
  EXPECT_EQ((*newest)[0].run_id, unnamed.run_id);
  EXPECT_EQ((*newest)[1].run_id, failed.run_id);
  absl::StatusOr<std::vector<std::string>> found = store->FindRunIds(run.run_id.substr(0, 20), 5);
  ASSERT_TRUE(found.ok());
  EXPECT_THAT(*found, testing::Contains(run.run_id));
  EXPECT_EQ(store->Save(run).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store->Load("20261205T000000.000Z-00000000").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(StoreContractTest, SchemaIsCurrentAndReopeningChangesNothing) {
  std::unique_ptr<HistoryStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->SchemaVersion(), kSchemaVersion);
  ASSERT_TRUE(store->Save(MakeRun(kT0, "a", "b", RunStatus::kComplete, "healthy")).ok());
  std::unique_ptr<HistoryStore> again = OpenStore();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(*again->SchemaVersion(), kSchemaVersion);
  EXPECT_EQ(again->List(10)->size(), 1u);
}

TEST_P(StoreContractTest, ASlotIsClaimedOnceHeldThenFinished) {
  std::unique_ptr<HistoryStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  const absl::Time slot = kT0;
  absl::StatusOr<SlotClaim> first =
      store->ClaimSlot("office->dc", slot, "a", absl::Seconds(30), kT0);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->outcome, ClaimOutcome::kClaimed);
  EXPECT_EQ(first->slot.replica, "a");
  EXPECT_EQ(first->slot.attempts, 1);
  EXPECT_EQ(first->slot.lease_until, kT0 + absl::Seconds(30));
  EXPECT_FALSE(first->slot.finished);

  absl::StatusOr<SlotClaim> other =
      store->ClaimSlot("office->dc", slot, "b", absl::Seconds(30), kT0 + absl::Seconds(29));
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->outcome, ClaimOutcome::kHeld);
  EXPECT_EQ(other->slot.replica, "a");
  // Another test's same slot is another slot.
  EXPECT_EQ(store->ClaimSlot("dc->office", slot, "b", absl::Seconds(30), kT0)->outcome,
            ClaimOutcome::kClaimed);

  EXPECT_EQ(store->FinishSlot("office->dc", slot, "b", "", "not mine", kT0).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->FinishSlot("office->dc", slot, "a", "", "", kT0).code(),
            absl::StatusCode::kInvalidArgument);
  RunRecord run = MakeRun(kT0, "office", "dc", RunStatus::kComplete, "healthy");
  ASSERT_TRUE(store->Save(run).ok());
  ASSERT_TRUE(
      store->FinishSlot("office->dc", slot, "a", run.run_id, "", kT0 + absl::Seconds(12)).ok());
  EXPECT_EQ(store->FinishSlot("office->dc", slot, "a", run.run_id, "", kT0).code(),
            absl::StatusCode::kFailedPrecondition);

  // Finished: nobody runs it again, even long after its lease.
  absl::StatusOr<SlotClaim> late =
      store->ClaimSlot("office->dc", slot, "b", absl::Seconds(30), kT0 + absl::Hours(1));
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(late->outcome, ClaimOutcome::kFinished);
  EXPECT_TRUE(late->slot.finished);
  EXPECT_EQ(late->slot.run_id, run.run_id);
  EXPECT_EQ(late->slot.finished_at, kT0 + absl::Seconds(12));

  ASSERT_TRUE(store->FinishSlot("dc->office", slot, "b", "", "agent office is down", kT0).ok());
  absl::StatusOr<SlotRecord> failed = store->GetSlot("dc->office", slot);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->failure, "agent office is down");
  EXPECT_EQ(failed->run_id, "");
  EXPECT_EQ(store->GetSlot("nope", slot).status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<std::vector<SlotRecord>> listed = store->ListSlots("", 10);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 2u);
  EXPECT_EQ(store->ListSlots("office->dc", 10)->size(), 1u);

  EXPECT_EQ(store->ClaimSlot("", slot, "a", absl::Seconds(1), kT0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->ClaimSlot("k", slot, "a", absl::ZeroDuration(), kT0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(StoreContractTest, AnExpiredLeaseIsTakenOverAndTheOldHolderLosesTheSlot) {
  std::unique_ptr<HistoryStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  const absl::Time slot = kT0;
  ASSERT_EQ(store->ClaimSlot("k", slot, "a", absl::Seconds(10), kT0)->outcome,
            ClaimOutcome::kClaimed);
  // A renewal keeps it alive past the first lease.
  ASSERT_TRUE(
      store->RenewSlotLease("k", slot, "a", absl::Seconds(10), kT0 + absl::Seconds(8)).ok());
  EXPECT_EQ(store->ClaimSlot("k", slot, "b", absl::Seconds(10), kT0 + absl::Seconds(12))->outcome,
            ClaimOutcome::kHeld);
  EXPECT_EQ(store->RenewSlotLease("k", slot, "b", absl::Seconds(10), kT0).code(),
            absl::StatusCode::kFailedPrecondition);
  // "a" dies: at the lease's end "b" takes over, once.
  absl::StatusOr<SlotClaim> taken =
      store->ClaimSlot("k", slot, "b", absl::Seconds(10), kT0 + absl::Seconds(18));
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken->outcome, ClaimOutcome::kTakenOver);
  EXPECT_EQ(taken->slot.replica, "b");
  EXPECT_EQ(taken->slot.attempts, 2);
  EXPECT_EQ(store->ClaimSlot("k", slot, "c", absl::Seconds(10), kT0 + absl::Seconds(19))->outcome,
            ClaimOutcome::kHeld);
  // "a" comes back: it can neither renew nor finish the slot it lost.
  EXPECT_EQ(
      store->RenewSlotLease("k", slot, "a", absl::Seconds(10), kT0 + absl::Seconds(19)).code(),
      absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->FinishSlot("k", slot, "a", "", "late", kT0 + absl::Seconds(19)).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(store->FinishSlot("k", slot, "b", "", "done", kT0 + absl::Seconds(20)).ok());
}

// Several replicas (each its own connection) race for the same slots: every slot has exactly
// one winner, first for fresh slots, then for the same slots' expired leases.
TEST_P(StoreContractTest, ConcurrentReplicasClaimEachSlotOnce) {
  constexpr int kReplicas = 6;
  constexpr int kSlots = 40;
  for (int round = 0; round < 2; ++round) {
    // Round 0: fresh slots at kT0. Round 1: every lease expired, all race to take over.
    const absl::Time now = round == 0 ? kT0 : kT0 + absl::Minutes(5);
    std::vector<std::vector<int>> wins(kReplicas);
    std::vector<absl::Status> errors(kReplicas);
    std::atomic<int> ready = 0;
    std::vector<std::thread> threads;
    for (int r = 0; r < kReplicas; ++r) {
      threads.emplace_back([&, r] {
        absl::StatusOr<std::unique_ptr<HistoryStore>> store = HistoryStore::Open(location_);
        ++ready;
        if (!store.ok()) {
          errors[r] = store.status();
          return;
        }
        while (ready < kReplicas) std::this_thread::yield();
        for (int s = 0; s < kSlots; ++s) {
          absl::StatusOr<SlotClaim> claim;
          // SQLite may answer busy under this much contention; the caller retries.
          do {
            claim = (*store)->ClaimSlot("mesh", kT0 + absl::Seconds(s), absl::StrCat("r", r),
                                        absl::Seconds(60), now);
          } while (absl::IsUnavailable(claim.status()));
          if (!claim.ok()) {
            errors[r] = claim.status();
            return;
          }
          if (claim->outcome == ClaimOutcome::kClaimed ||
              claim->outcome == ClaimOutcome::kTakenOver) {
            wins[r].push_back(s);
          }
        }
      });
    }
    for (std::thread& t : threads) t.join();
    std::map<int, int> winners;
    for (int r = 0; r < kReplicas; ++r) {
      ASSERT_TRUE(errors[r].ok()) << errors[r].ToString();
      for (int s : wins[r]) ++winners[s];
    }
    ASSERT_EQ(winners.size(), static_cast<size_t>(kSlots)) << "round " << round;
    for (const auto& [slot, count] : winners) {
      EXPECT_EQ(count, 1) << "slot " << slot << " round " << round;
    }
  }
  std::unique_ptr<HistoryStore> store = OpenStore();
  absl::StatusOr<std::vector<SlotRecord>> slots = store->ListSlots("mesh", 1000);
  ASSERT_TRUE(slots.ok());
  ASSERT_EQ(slots->size(), static_cast<size_t>(kSlots));
  for (const SlotRecord& slot : *slots) EXPECT_EQ(slot.attempts, 2);
}

// The same race between processes (fork: each child opens its own store).
TEST_P(StoreContractTest, ConcurrentProcessesClaimEachSlotOnce) {
  ASSERT_NE(OpenStore(), nullptr);  // the schema exists before the race
  constexpr int kProcesses = 4;
  constexpr int kSlots = 30;
  std::vector<pid_t> children;
  std::vector<int> pipes;
  for (int p = 0; p < kProcesses; ++p) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(fds[0]);
      std::string won;
      absl::StatusOr<std::unique_ptr<HistoryStore>> store = HistoryStore::Open(location_);
      if (!store.ok()) _exit(2);
      for (int s = 0; s < kSlots; ++s) {
        absl::StatusOr<SlotClaim> claim;
        do {
          claim = (*store)->ClaimSlot("procs", kT0 + absl::Seconds(s), absl::StrCat("p", p),
                                      absl::Seconds(60), kT0);
        } while (absl::IsUnavailable(claim.status()));
        if (!claim.ok()) _exit(3);
        if (claim->outcome == ClaimOutcome::kClaimed) won.push_back(static_cast<char>(s));
      }
      if (write(fds[1], won.data(), won.size()) != static_cast<ssize_t>(won.size())) _exit(4);
      _exit(0);
    }
    close(fds[1]);
    children.push_back(child);
    pipes.push_back(fds[0]);
  }
  std::map<int, int> winners;
  for (int p = 0; p < kProcesses; ++p) {
    char buffer[256];
    ssize_t n;
    while ((n = read(pipes[p], buffer, sizeof(buffer))) > 0) {
      for (ssize_t i = 0; i < n; ++i) ++winners[buffer[i]];
    }
    close(pipes[p]);
    int status = 0;
    ASSERT_EQ(waitpid(children[p], &status, 0), children[p]);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  ASSERT_EQ(winners.size(), static_cast<size_t>(kSlots));
  for (const auto& [slot, count] : winners) EXPECT_EQ(count, 1) << "slot " << slot;
}

TEST_P(StoreContractTest, HeartbeatsAndAgentPresence) {
  std::unique_ptr<HistoryStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Heartbeat("a", "10.0.0.1:9432", kT0).ok());
  ASSERT_TRUE(store->Heartbeat("b", "", kT0).ok());
  ASSERT_TRUE(store->Heartbeat("a", "10.0.0.1:9432 v2", kT0 + absl::Seconds(5)).ok());
  absl::StatusOr<std::vector<ReplicaRecord>> replicas = store->ListReplicas();
  ASSERT_TRUE(replicas.ok());
  ASSERT_EQ(replicas->size(), 2u);
  EXPECT_EQ((*replicas)[0].replica, "a");
  EXPECT_EQ((*replicas)[0].last_heartbeat, kT0 + absl::Seconds(5));
  EXPECT_EQ((*replicas)[0].info, "10.0.0.1:9432 v2");
  EXPECT_EQ((*replicas)[1].last_heartbeat, kT0);

  EXPECT_EQ(store->GetAgentPresence("office").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store->SetAgentPresence("office", "a", true, kT0).ok());
  // It reconnects to b before a notices the old stream is gone.
  ASSERT_TRUE(store->SetAgentPresence("office", "b", true, kT0 + absl::Seconds(1)).ok());
  ASSERT_TRUE(store->SetAgentPresence("office", "a", false, kT0 + absl::Seconds(2)).ok());
  absl::StatusOr<AgentPresence> office = store->GetAgentPresence("office");
  ASSERT_TRUE(office.ok());
  EXPECT_TRUE(office->connected);
  EXPECT_EQ(office->replica, "b");
  EXPECT_EQ(office->last_seen, kT0 + absl::Seconds(1));
  ASSERT_TRUE(store->SetAgentPresence("office", "b", false, kT0 + absl::Seconds(3)).ok());
  ASSERT_TRUE(store->SetAgentPresence("lab", "a", true, kT0).ok());
  absl::StatusOr<std::vector<AgentPresence>> agents = store->ListAgentPresence();
  ASSERT_TRUE(agents.ok());
  ASSERT_EQ(agents->size(), 2u);
  EXPECT_EQ((*agents)[0].agent, "lab");
  EXPECT_TRUE((*agents)[0].connected);
  EXPECT_EQ((*agents)[1].agent, "office");
  EXPECT_FALSE((*agents)[1].connected);
  EXPECT_EQ((*agents)[1].last_seen, kT0 + absl::Seconds(3));
}

TEST_P(StoreContractTest, MetricsFiguresCountRunsAndPickTheLatestPerPair) {
  std::unique_ptr<HistoryStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  RunRecord old_run = MakeRun(kT0, "office", "dc", RunStatus::kComplete, "healthy");
  RunRecord new_run =
      MakeRun(kT0 + absl::Seconds(30), "office", "dc", RunStatus::kPartial, "broken");
  RunRecord reverse =
      MakeRun(kT0 + absl::Seconds(10), "dc", "office", RunStatus::kComplete, "degraded");
  RunRecord reverse2 =
      MakeRun(kT0 + absl::Seconds(5), "dc", "office", RunStatus::kComplete, "healthy");
  for (const RunRecord* run : {&old_run, &new_run, &reverse, &reverse2}) {
    ASSERT_TRUE(store->Save(*run).ok());
  }
  absl::StatusOr<std::vector<RunCount>> counts = store->CountRuns();
  ASSERT_TRUE(counts.ok()) << counts.status();
  ASSERT_EQ(counts->size(), 3u);
  EXPECT_EQ((*counts)[0].client_name, "dc");
  EXPECT_EQ((*counts)[0].status, RunStatus::kComplete);
  EXPECT_EQ((*counts)[0].count, 2);
  EXPECT_EQ((*counts)[1].client_name, "office");
  EXPECT_EQ((*counts)[1].status, RunStatus::kComplete);
  EXPECT_EQ((*counts)[1].count, 1);
  EXPECT_EQ((*counts)[2].status, RunStatus::kPartial);
  EXPECT_EQ((*counts)[2].count, 1);

  absl::StatusOr<std::vector<RunRecord>> latest = store->LatestRunPerPair();
  ASSERT_TRUE(latest.ok()) << latest.status();
  ASSERT_EQ(latest->size(), 2u);
  EXPECT_EQ((*latest)[0].run_id, reverse.run_id);
  EXPECT_EQ((*latest)[0].verdict, "degraded");
  EXPECT_EQ((*latest)[1].run_id, new_run.run_id);
  EXPECT_EQ((*latest)[1].payload, new_run.payload);
  EXPECT_EQ((*latest)[1].server_name, "dc");
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContractTest, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           return param_info.param == "sqlite" ? "Sqlite" : "Postgres";
                         });

// ---- PostgreSQL only ----

class PostgresStoreTest : public StoreContractTest {};

// Several replicas starting at once on a fresh database: the advisory lock lets one migrate;
// the others find the schema current.
TEST_P(PostgresStoreTest, ConcurrentOpensMigrateOnce) {
  std::vector<absl::Status> results(6);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = HistoryStore::Open(location_).status(); });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& status : results) EXPECT_TRUE(status.ok()) << status.ToString();
  pqxx::connection connection(location_);
  pqxx::result rows =
      pqxx::nontransaction(connection).exec("SELECT version FROM schema_migrations ORDER BY 1");
  ASSERT_EQ(rows.size(), static_cast<size_t>(kSchemaVersion));
  for (int v = 1; v <= kSchemaVersion; ++v) EXPECT_EQ(rows[v - 1][0].as<int>(), v);
}

// A lost connection (the server ended the session) is Unavailable once; the next call
// reconnects and works.
TEST_P(PostgresStoreTest, ALostConnectionIsUnavailableThenRecovers) {
  std::unique_ptr<HistoryStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Heartbeat("a", "", kT0).ok());
  {
    pqxx::connection admin(admin_url_);
    pqxx::nontransaction(admin).exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = " +
        admin.quote(database_));
  }
  absl::Status during = store->Heartbeat("a", "", kT0 + absl::Seconds(1));
  EXPECT_TRUE(absl::IsUnavailable(during)) << during;
  absl::Status after = store->Heartbeat("a", "", kT0 + absl::Seconds(2));
  EXPECT_TRUE(after.ok()) << after;
  EXPECT_EQ(store->ListReplicas()->at(0).last_heartbeat, kT0 + absl::Seconds(2));
}

TEST_P(PostgresStoreTest, ABadServerIsUnavailableAndThePasswordIsNeverShown) {
  absl::StatusOr<std::unique_ptr<HistoryStore>> store =
      HistoryStore::Open("postgresql://fleet:s3cr3t-pw@/pathpair?host=/nonexistent-pathpair-dir");
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(absl::IsUnavailable(store.status())) << store.status();
  EXPECT_THAT(std::string(store.status().message()), Not(HasSubstr("s3cr3t-pw")));
  EXPECT_THAT(std::string(store.status().message()), HasSubstr("fleet:***@"));
}

TEST_P(PostgresStoreTest, ANewerSchemaIsRefused) {
  ASSERT_NE(OpenStore(), nullptr);
  {
    pqxx::connection connection(location_);
    pqxx::nontransaction(connection)
        .exec0("INSERT INTO schema_migrations VALUES (99, 'future', 0)");
  }
  absl::StatusOr<std::unique_ptr<HistoryStore>> store = HistoryStore::Open(location_);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(store.status().message()), HasSubstr("schema version 99"));
}

INSTANTIATE_TEST_SUITE_P(Backends, PostgresStoreTest, ::testing::Values("postgres"),
                         [](const ::testing::TestParamInfo<std::string>&) { return "Postgres"; });

// ---- Locations (no database) ----

TEST(StoreLocationTest, PathsSqliteAndPostgresUrls) {
  absl::StatusOr<StoreLocation> plain = ParseStoreLocation("/var/lib/pathpair/h.db");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->kind, StoreLocation::Kind::kSqlite);
  EXPECT_EQ(plain->sqlite_path, "/var/lib/pathpair/h.db");
  EXPECT_EQ(ParseStoreLocation("relative.db")->sqlite_path, "relative.db");
  EXPECT_EQ(ParseStoreLocation("sqlite:/tmp/x.db")->sqlite_path, "/tmp/x.db");
  EXPECT_EQ(ParseStoreLocation("sqlite:rel/x.db")->sqlite_path, "rel/x.db");
  // A colon-slash-slash inside a path's directories is still a path.
  EXPECT_EQ(ParseStoreLocation("/data/a://b.db")->kind, StoreLocation::Kind::kSqlite);

  absl::StatusOr<StoreLocation> pg =
      ParseStoreLocation("postgresql:///pathpair?host=/run/postgresql");
  ASSERT_TRUE(pg.ok()) << pg.status();
  EXPECT_EQ(pg->kind, StoreLocation::Kind::kPostgres);
  EXPECT_EQ(pg->postgres_url, "postgresql:///pathpair?host=/run/postgresql");
  EXPECT_EQ(pg->display, pg->postgres_url);
  absl::StatusOr<StoreLocation> secret = ParseStoreLocation("postgres://u:pw@db.example/p");
  ASSERT_TRUE(secret.ok());
  EXPECT_EQ(secret->display, "postgres://u:***@db.example/p");
  EXPECT_EQ(secret->postgres_url, "postgres://u:pw@db.example/p");

  for (const char* bad : {"", "sqlite:", "sqlite://x.db", "mysql://u:pw@h/db", "http://x/y",
                          "postgresql://h/db?nonsense=1"}) {
    absl::StatusOr<StoreLocation> parsed = ParseStoreLocation(bad);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(parsed.status().message()), Not(HasSubstr(":pw@"))) << bad;
  }
  EXPECT_EQ(HistoryStore::Open("mysql://h/db").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(StoreLocationTest, PasswordsAreRedacted) {
  EXPECT_EQ(RedactPassword("postgresql://u:secret@h:5432/db"), "postgresql://u:***@h:5432/db");
  EXPECT_EQ(RedactPassword("postgresql://u@h/db"), "postgresql://u@h/db");
  EXPECT_EQ(RedactPassword("postgresql://h/db?user=u&password=secret&sslmode=require"),
            "postgresql://h/db?user=u&password=***&sslmode=require");
  EXPECT_EQ(RedactPassword("postgresql://u:p%40ss@h/db"), "postgresql://u:***@h/db");
  EXPECT_EQ(RedactPassword("postgresql:///db?host=/run/postgresql"),
            "postgresql:///db?host=/run/postgresql");
}

}  // namespace
}  // namespace pathpair::history
