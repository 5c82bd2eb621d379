#include "controller/history/history_store.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pathpair::history {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class HistoryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pp-history-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string PathOf(absl::string_view name) const { return absl::StrCat(dir_, "/", name); }

  static RunRecord MakeRun(absl::Time start, absl::string_view target) {
    RunRecord run;
    run.run_id = NewRunId(start);
    run.start = start;
    run.end = start + absl::Seconds(12);
    run.client = "local";
    run.server = "agent.example:7443";
    run.target = std::string(target);
    run.verdict = "LOSS_REVERSE_DIRECTION";
    run.status = RunStatus::kComplete;
    run.payload_format = "json";
    run.payload = absl::StrCat(R"({"target":")", target, R"(","bytes":"\u0000"})");
    run.payload.push_back('\0');  // payloads are blobs: embedded NULs survive
    return run;
  }

  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  std::string dir_;
};

TEST_F(HistoryStoreTest, RoundTripKeepsEveryField) {
  std::string path = PathOf("history.db");
  absl::StatusOr<std::unique_ptr<HistoryStore>> store = HistoryStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status();
  RunRecord run = MakeRun(absl::FromUnixMillis(1764242740123), "198.51.100.7");
  run.status = RunStatus::kPartial;
  ASSERT_TRUE((*store)->Save(run).ok());

  // A second connection sees it (the data is on disk, not only in this connection).
  absl::StatusOr<std::unique_ptr<HistoryStore>> other = HistoryStore::Open(path);
  ASSERT_TRUE(other.ok()) << other.status();
  absl::StatusOr<RunRecord> loaded = (*other)->Load(run.run_id);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->run_id, run.run_id);
  EXPECT_EQ(loaded->start, run.start);
  EXPECT_EQ(loaded->end, run.end);
  EXPECT_EQ(loaded->client, "local");
  EXPECT_EQ(loaded->server, "agent.example:7443");
  EXPECT_EQ(loaded->target, "198.51.100.7");
  EXPECT_EQ(loaded->verdict, "LOSS_REVERSE_DIRECTION");
  EXPECT_EQ(loaded->status, RunStatus::kPartial);
  EXPECT_EQ(loaded->payload_format, "json");
  EXPECT_EQ(loaded->payload, run.payload);
}

TEST_F(HistoryStoreTest, APathInAMissingDirectoryIsBadInputAndCreatesNothing) {
  // Issue 15: a typo in --history-db used to create the directories on the quiet.
  absl::StatusOr<std::unique_ptr<HistoryStore>> store =
      HistoryStore::Open(PathOf("nested/dirs/history.db"));
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(store.status().message()),
              ::testing::HasSubstr("directory " + PathOf("nested/dirs") + " does not exist"));
  struct stat info;
  EXPECT_NE(stat(PathOf("nested").c_str(), &info), 0);
}

TEST_F(HistoryStoreTest, FindsRunsByTheStartOfTheirId) {
  absl::StatusOr<std::unique_ptr<HistoryStore>> store = HistoryStore::Open(PathOf("h.db"));
  ASSERT_TRUE(store.ok()) << store.status();
  RunRecord a = MakeRun(absl::FromUnixMillis(1764242740123), "198.51.100.7");
  RunRecord b = MakeRun(absl::FromUnixMillis(1764242740123), "198.51.100.8");  // same ms
  RunRecord c = MakeRun(absl::FromUnixMillis(1764329140000), "198.51.100.9");  // a day later
  for (const RunRecord* r : {&a, &b, &c}) ASSERT_TRUE((*store)->Save(*r).ok());
  EXPECT_THAT(*(*store)->FindRunIds(a.run_id, 5), ElementsAre(a.run_id));
  EXPECT_THAT(*(*store)->FindRunIds(c.run_id.substr(0, 8), 5), ElementsAre(c.run_id));
  EXPECT_EQ((*store)->FindRunIds(a.run_id.substr(0, 21), 5)->size(), 2u);  // a and b
  EXPECT_EQ((*store)->FindRunIds("2025", 1)->size(), 1u);                  // the limit
  EXPECT_TRUE((*store)->FindRunIds("1999", 5)->empty());
  // Not the start of an id: refused before touching the database (no LIKE wildcards).
  for (const char* bad : {"", "%", "2025_", "last", "20251127T112540.123Z-3f9a1c0b0"}) {
    EXPECT_EQ((*store)->FindRunIds(bad, 5).status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_TRUE(IsRunIdPrefix("2"));
  EXPECT_TRUE(IsRunIdPrefix("20251127T1125"));
  EXPECT_FALSE(IsRunIdPrefix("x"));
}

TEST_F(HistoryStoreTest, UsesWalAndVersionedSchema) {
  std::string path = PathOf("history.db");
  ASSERT_TRUE(HistoryStore::Open(path).ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  auto query = [&](const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    std::string value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    return value;
  };
  EXPECT_EQ(query("PRAGMA user_version"), absl::StrCat(kSchemaVersion));
  EXPECT_EQ(query("PRAGMA journal_mode"), "wal");
  sqlite3_close(db);
}

TEST_F(HistoryStoreTest, ListsNewestFirstWithLimit) {
  absl::StatusOr<std::unique_ptr<HistoryStore>> store = HistoryStore::Open(PathOf("h.db"));
  ASSERT_TRUE(store.ok()) << store.status();
  absl::Time base = absl::FromUnixSeconds(1764242740);
  // Saved out of order on purpose.
  for (int minutes : {5, 1, 9, 3}) {
    RunRecord run = MakeRun(base + absl::Minutes(minutes), absl::StrCat("t", minutes));
    ASSERT_TRUE((*store)->Save(run).ok());
  }
  absl::StatusOr<std::vector<RunSummary>> all = (*store)->List(10);
  ASSERT_TRUE(all.ok()) << all.status();
  std::vector<std::string> targets;
  for (const RunSummary& run : *all) targets.push_back(run.target);
  EXPECT_THAT(targets, ElementsAre("t9", "t5", "t3", "t1"));

  absl::StatusOr<std::vector<RunSummary>> two = (*store)->List(2);
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[0].target, "t9");
  EXPECT_EQ((*two)[1].target, "t5");
  EXPECT_EQ((*store)->List(0).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(HistoryStoreTest, RunIdsSortByStartTime) {
  std::string early = NewRunId(absl::FromUnixMillis(1764242740123));
  std::string late = NewRunId(absl::FromUnixMillis(1764242740124));
  EXPECT_TRUE(IsWellFormedRunId(early)) << early;
  EXPECT_THAT(early, HasSubstr("20251127T112540.123Z-"));
  EXPECT_LT(early, late);
  EXPECT_FALSE(IsWellFormedRunId(""));
  EXPECT_FALSE(IsWellFormedRunId("20251127T112540.123Z-3F9A1C0B"));  // upper-case hex
  EXPECT_FALSE(IsWellFormedRunId("x' OR '1'='1"));
}

TEST_F(HistoryStoreTest, UnknownAndMalformedIds) {
  absl::StatusOr<std::unique_ptr<HistoryStore>> store = HistoryStore::Open(PathOf("h.db"));
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<RunRecord> unknown = (*store)->Load("20251127T112540.123Z-00000000");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(unknown.status().message(), HasSubstr("20251127T112540.123Z-00000000"));
  absl::StatusOr<RunRecord> malformed = (*store)->Load("latest'; DROP TABLE runs; --");
  EXPECT_EQ(malformed.status().code(), absl::StatusCode::kInvalidArgument);

  RunRecord bad = MakeRun(absl::Now(), "x");
  bad.run_id = "not-an-id";
  EXPECT_EQ((*store)->Save(bad).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(HistoryStoreTest, DuplicateIdIsRefusedAndOriginalKept) {
  absl::StatusOr<std::unique_ptr<HistoryStore>> store = HistoryStore::Open(PathOf("h.db"));
  ASSERT_TRUE(store.ok());
  RunRecord run = MakeRun(absl::Now(), "first");
  ASSERT_TRUE((*store)->Save(run).ok());
  RunRecord again = run;
  again.target = "second";
  EXPECT_EQ((*store)->Save(again).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ((*store)->Load(run.run_id)->target, "first");
}

TEST_F(HistoryStoreTest, CorruptFileGivesClearErrorAndIsNotTouched) {
  std::string path = PathOf("history.db");
  std::string garbage(8192, '\0');
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>((i * 131) ^ 0x5a);
  {
    std::ofstream out(path, std::ios::binary);
    out << garbage;
  }
  absl::StatusOr<std::unique_ptr<HistoryStore>> store = HistoryStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr(path));
  EXPECT_THAT(store.status().message(), HasSubstr("left untouched"));
  EXPECT_EQ(ReadFile(path), garbage);
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
}

TEST_F(HistoryStoreTest, DamagedDatabaseKeepsItsBytes) {
  std::string path = PathOf("history.db");
  {
    absl::StatusOr<std::unique_ptr<HistoryStore>> store = HistoryStore::Open(path);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Save(MakeRun(absl::Now(), "kept")).ok());
  }
  // Smash the header's magic string: SQLite then refuses the file as "not a database".
  std::string bytes = ReadFile(path);
  ASSERT_GT(bytes.size(), 100u);
  bytes.replace(0, 16, "NOT SQLITE AT AL");
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  absl::StatusOr<std::unique_ptr<HistoryStore>> reopened = HistoryStore::Open(path);
  EXPECT_EQ(reopened.status().code(), absl::StatusCode::kDataLoss) << reopened.status();
  EXPECT_EQ(ReadFile(path), bytes);
}

TEST_F(HistoryStoreTest, ForeignDatabaseIsRefused) {
  std::string path = PathOf("other.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE mine (x); INSERT INTO mine VALUES (42);", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  std::string before = ReadFile(path);
  absl::StatusOr<std::unique_ptr<HistoryStore>> store = HistoryStore::Open(path);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
  EXPECT_EQ(ReadFile(path), before);
}

TEST_F(HistoryStoreTest, NewerSchemaIsRefused) {
  std::string path = PathOf("newer.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  absl::StatusOr<std::unique_ptr<HistoryStore>> store = HistoryStore::Open(path);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("99"));
}

// A new history is private from its first moment, whatever the umask: the file 0600 (and the
// WAL beside it, which SQLite creates with the database's mode), new directories 0700.
TEST_F(HistoryStoreTest, NewDatabaseIsPrivate) {
  // The default place (the only directories pathpair makes: Open never does) under a new
  // XDG_DATA_HOME, so that every directory on the way is new.
  const mode_t old_umask = umask(0);
  unsetenv("PATHPAIR_HISTORY_DB");
  setenv("XDG_DATA_HOME", PathOf("new/dir").c_str(), 1);
  absl::StatusOr<std::string> path = DefaultHistoryPath();
  unsetenv("XDG_DATA_HOME");
  ASSERT_TRUE(path.ok()) << path.status();
  ASSERT_EQ(*path, PathOf("new/dir/pathpair/history.db"));
  absl::StatusOr<std::unique_ptr<HistoryStore>> store = HistoryStore::Open(*path);
  umask(old_umask);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->Save(MakeRun(absl::FromUnixSeconds(1800000000), "203.0.113.9")).ok());
  struct stat info {};
  for (const std::string& dir : {PathOf("new"), PathOf("new/dir"), PathOf("new/dir/pathpair")}) {
    ASSERT_EQ(stat(dir.c_str(), &info), 0) << dir;
    EXPECT_EQ(info.st_mode & 07777, 0700u) << dir;
  }
  for (const std::string& file : {*path, *path + "-wal"}) {
    ASSERT_EQ(stat(file.c_str(), &info), 0) << file;
    EXPECT_EQ(info.st_mode & 07777, 0600u) << file;
  }
}

// A symbolic link planted at the path is never followed: not to an existing file (which is left
// as it was), not to a missing one (which is not created). A linked directory is fine.
TEST_F(HistoryStoreTest, SymbolicLinksAreRefused) {
  const std::string victim = PathOf("victim");
  {
    std::ofstream out(victim, std::ios::binary);
    out << "precious";
  }
  ASSERT_EQ(symlink(victim.c_str(), PathOf("to-file.db").c_str()), 0);
  ASSERT_EQ(symlink(PathOf("missing").c_str(), PathOf("dangling.db").c_str()), 0);
  ASSERT_EQ(mkdir(PathOf("real").c_str(), 0700), 0);
  ASSERT_EQ(symlink(PathOf("real").c_str(), PathOf("linked-dir").c_str()), 0);
  for (const std::string& path : {PathOf("to-file.db"), PathOf("dangling.db")}) {
    absl::StatusOr<std::unique_ptr<HistoryStore>> store = HistoryStore::Open(path);
    EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument) << path;
    EXPECT_THAT(store.status().message(), HasSubstr("symbolic link")) << path;
  }
  EXPECT_EQ(ReadFile(victim), "precious");
  EXPECT_FALSE(std::filesystem::exists(PathOf("missing")));
  EXPECT_TRUE(HistoryStore::Open(PathOf("linked-dir/history.db")).ok());
  EXPECT_TRUE(std::filesystem::is_regular_file(PathOf("real/history.db")));
}

TEST_F(HistoryStoreTest, ConcurrentWritersLoseNoRows) {
  std::string path = PathOf("shared.db");
  constexpr int kPerWriter = 60;
  auto writer = [&](int which, absl::Status* result) {
    absl::StatusOr<std::unique_ptr<HistoryStore>> store = HistoryStore::Open(path);
    if (!store.ok()) {
      *result = store.status();
      return;
    }
    for (int i = 0; i < kPerWriter; ++i) {
      RunRecord run =
          MakeRun(absl::FromUnixSeconds(1764242740 + i), absl::StrCat("w", which, "-", i));
      absl::Status saved = (*store)->Save(run);
      if (!saved.ok()) {
        *result = saved;
        return;
      }
    }
  };
  absl::Status first, second;
  std::thread a(writer, 1, &first);
  std::thread b(writer, 2, &second);
  a.join();
  b.join();
  ASSERT_TRUE(first.ok()) << first;
  ASSERT_TRUE(second.ok()) << second;
  absl::StatusOr<std::unique_ptr<HistoryStore>> store = HistoryStore::Open(path);
  ASSERT_TRUE(store.ok());
  absl::StatusOr<std::vector<RunSummary>> all = (*store)->List(1000);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u * kPerWriter);
}

TEST(DefaultHistoryPathTest, FollowsTheVariableThenXdgThenHome) {
  EXPECT_EQ(*DefaultHistoryPathFrom(nullptr, "/data", "/home/u"), "/data/pathpair/history.db");
  EXPECT_EQ(*DefaultHistoryPathFrom(nullptr, "relative", "/home/u"),
            "/home/u/.local/share/pathpair/history.db");
  EXPECT_EQ(*DefaultHistoryPathFrom(nullptr, nullptr, "/home/u"),
            "/home/u/.local/share/pathpair/history.db");
  EXPECT_EQ(DefaultHistoryPathFrom(nullptr, nullptr, nullptr).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // PATHPAIR_HISTORY_DB wins, as given; empty is unset.
  EXPECT_EQ(*DefaultHistoryPathFrom("/srv/pp.db", "/data", "/home/u"), "/srv/pp.db");
  // ... a store URL too (HistoryStore::Open takes paths and URLs alike).
  EXPECT_EQ(
      *DefaultHistoryPathFrom("postgresql:///pathpair?host=/run/postgresql", "/data", "/home/u"),
      "postgresql:///pathpair?host=/run/postgresql");
  EXPECT_EQ(*DefaultHistoryPathFrom("", "/data", "/home/u"), "/data/pathpair/history.db");
}

TEST_F(HistoryStoreTest, TheXdgPlaceIsMadeTheVariablesPathIsNot) {
  const char* saved_db = std::getenv("PATHPAIR_HISTORY_DB");
  const char* saved_xdg = std::getenv("XDG_DATA_HOME");
  const std::string old_db = saved_db ? saved_db : "";
  const std::string old_xdg = saved_xdg ? saved_xdg : "";
  unsetenv("PATHPAIR_HISTORY_DB");
  setenv("XDG_DATA_HOME", PathOf("xdg").c_str(), 1);
  absl::StatusOr<std::string> path = DefaultHistoryPath();
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, PathOf("xdg/pathpair/history.db"));
  EXPECT_TRUE(HistoryStore::Open(*path).ok());  // its directories were made
  setenv("PATHPAIR_HISTORY_DB", PathOf("elsewhere/pp.db").c_str(), 1);
  path = DefaultHistoryPath();
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, PathOf("elsewhere/pp.db"));
  EXPECT_EQ(HistoryStore::Open(*path).status().code(), absl::StatusCode::kInvalidArgument);
  saved_db ? setenv("PATHPAIR_HISTORY_DB", old_db.c_str(), 1) : unsetenv("PATHPAIR_HISTORY_DB");
  saved_xdg ? setenv("XDG_DATA_HOME", old_xdg.c_str(), 1) : unsetenv("XDG_DATA_HOME");
}

}  // namespace
}  // namespace pathpair::history

namespace pathpair::history {
namespace {

// A history file of pathpair before migrations (schema version 1, exactly as that version
// made it) is brought forward on open without losing a run or a byte of one.
TEST_F(HistoryStoreTest, AVersion1FileIsMigratedForwardKeepingEveryRun) {
  const std::string path = PathOf("v1.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, R"sql(
CREATE TABLE runs (
  run_id         TEXT PRIMARY KEY NOT NULL,
  start_unix_us  INTEGER NOT NULL,
  end_unix_us    INTEGER NOT NULL,
  client         TEXT NOT NULL,
  server         TEXT NOT NULL,
  target         TEXT NOT NULL,
  verdict        TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('complete', 'partial')),
  payload_format TEXT NOT NULL,
  payload        BLOB NOT NULL
);
CREATE INDEX runs_newest_first ON runs (start_unix_us DESC, run_id DESC);
PRAGMA user_version = 1;
PRAGMA journal_mode = WAL;
)sql",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  std::vector<RunRecord> old_runs;
  for (int i = 0; i < 3; ++i) {
    RunRecord run = MakeRun(absl::FromUnixSeconds(1764242740 + 60 * i), absl::StrCat("t", i));
    run.status = i == 1 ? RunStatus::kPartial : RunStatus::kComplete;
    run.server = absl::StrCat("agent", i, ".example:7443");
    sqlite3_stmt* insert = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "INSERT INTO runs VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)", -1,
                                 &insert, nullptr),
              SQLITE_OK);
    sqlite3_bind_text(insert, 1, run.run_id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(insert, 2, absl::ToUnixMicros(run.start));
    sqlite3_bind_int64(insert, 3, absl::ToUnixMicros(run.end));
    sqlite3_bind_text(insert, 4, run.client.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(insert, 5, run.server.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(insert, 6, run.target.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(insert, 7, run.verdict.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(insert, 8, std::string(RunStatusName(run.status)).c_str(), -1,
                      SQLITE_TRANSIENT);
    sqlite3_bind_text(insert, 9, run.payload_format.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(insert, 10, run.payload.data(), static_cast<int>(run.payload.size()),
                      SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(insert), SQLITE_DONE);
    sqlite3_finalize(insert);
    old_runs.push_back(run);
  }
  sqlite3_close(db);

  absl::StatusOr<std::unique_ptr<HistoryStore>> store = HistoryStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(*(*store)->SchemaVersion(), kSchemaVersion);
  absl::StatusOr<std::vector<RunSummary>> listed = (*store)->List(10);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->size(), old_runs.size());
  for (const RunRecord& old_run : old_runs) {
    absl::StatusOr<RunRecord> loaded = (*store)->Load(old_run.run_id);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_EQ(loaded->start, old_run.start);
    EXPECT_EQ(loaded->end, old_run.end);
    EXPECT_EQ(loaded->client, old_run.client);
    EXPECT_EQ(loaded->server, old_run.server);
    EXPECT_EQ(loaded->target, old_run.target);
    EXPECT_EQ(loaded->verdict, old_run.verdict);
    EXPECT_EQ(loaded->status, old_run.status);
    EXPECT_EQ(loaded->payload_format, old_run.payload_format);
    EXPECT_EQ(loaded->payload, old_run.payload);
    // The endpoints become the agents' names.
    EXPECT_EQ(loaded->client_name, old_run.client);
    EXPECT_EQ(loaded->server_name, old_run.server);
  }
  // The new schema's additions work on the migrated file.
  RunRecord failed = MakeRun(absl::FromUnixSeconds(1764242940), "t-failed");
  failed.status = RunStatus::kFailed;
  EXPECT_TRUE((*store)->Save(failed).ok());
  EXPECT_EQ(
      (*store)->ClaimSlot("k", absl::UnixEpoch(), "r", absl::Seconds(5), absl::Now())->outcome,
      ClaimOutcome::kClaimed);
  store->reset();

  // The step is recorded: user_version and schema_migrations.
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* query = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT group_concat(version) FROM schema_migrations", -1,
                               &query, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(query), SQLITE_ROW);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(sqlite3_column_text(query, 0))), "2");
  sqlite3_finalize(query);
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &query, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(query), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(query, 0), kSchemaVersion);
  sqlite3_finalize(query);
  sqlite3_close(db);
}

}  // namespace
}  // namespace pathpair::history
