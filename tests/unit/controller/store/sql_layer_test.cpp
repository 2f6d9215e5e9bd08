// The portable SQL layer on each backend: placeholders, types, error codes, transactions,
// the pool, migrations; and that SQLite databases from before the layer still open.
#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <thread>

#include "controller/store/migrations/migrations.hpp"
#include "controller/store/sql/migrate.hpp"
#include "controller/store/sql/pool.hpp"
#include "controller/store/sql/sqlite_connection.hpp"
#include "controller/store/sql_store.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/controller/store/backend.hpp"

namespace relman::controller::sql {
namespace {

class SqlLayer : public BackendTest {
 protected:
  std::unique_ptr<Pool> pool(std::size_t size, std::chrono::milliseconds wait) {
    auto p = Pool::open([this] { return connect(); }, size, wait);
    EXPECT_TRUE(p) << p.error().describe();
    return p ? std::move(*p) : nullptr;
  }
};

// Whether a query runs (PostgreSQL checks SQL when it runs it, not when it is prepared).
bool runs(Connection& c, std::string_view query) {
  auto st = c.prepare(query);
  return st && st->step();
}

TEST_P(SqlLayer, BindsAndReadsEveryType) {
  auto c = conn();
  ASSERT_TRUE(c->exec("CREATE TABLE t (id BIGINT, name TEXT, flag BIGINT, missing TEXT)"));
  auto ins = c->prepare("INSERT INTO t(id, name, flag, missing) VALUES(?, ?, ?, ?)");
  ASSERT_TRUE(ins) << ins.error().describe();
  const std::int64_t big = 9007199254740993;  // not representable as a double
  ASSERT_TRUE(ins->bind(1, big).bind(2, "it's \"quoted\" ? é").bind(3, true).bind_null(4).run());
  EXPECT_EQ(ins->changes(), 1);
  auto q2 = c->prepare("SELECT id, name, flag, missing FROM t WHERE id = ?2 AND name = ?1");
  ASSERT_TRUE(q2) << q2.error().describe();
  q2->bind(1, "it's \"quoted\" ? é").bind(2, big);
  auto row = q2->step();
  ASSERT_TRUE(row && *row) << (row ? "no row" : row.error().describe());
  EXPECT_EQ(q2->int64(0), big);
  EXPECT_EQ(q2->text(1), "it's \"quoted\" ? é");
  EXPECT_EQ(q2->int64(2), 1);
  EXPECT_TRUE(q2->is_null(3));
  EXPECT_FALSE(q2->is_null(1));
  auto done = q2->step();
  ASSERT_TRUE(done);
  EXPECT_FALSE(*done);
}

TEST_P(SqlLayer, InsertReturningGivesTheNewId) {
  auto c = conn();
  ASSERT_TRUE(c->exec(
      render_migration(Migration{1, "t", "CREATE TABLE t (id {{id_pk}}, v TEXT)"}, c->dialect())
          .value()));
  for (std::int64_t expected : {1, 2}) {
    auto st = c->prepare("INSERT INTO t(v) VALUES(?) RETURNING id");
    ASSERT_TRUE(st);
    st->bind(1, "x");
    auto row = st->step();
    ASSERT_TRUE(row && *row);
    EXPECT_EQ(st->int64(0), expected);
    ASSERT_TRUE(st->run());
  }
}

TEST_P(SqlLayer, UniqueViolationIsStoreConstraint) {
  auto c = conn();
  ASSERT_TRUE(c->exec("CREATE TABLE t (k TEXT PRIMARY KEY)"));
  auto a = c->prepare("INSERT INTO t(k) VALUES(?)");
  ASSERT_TRUE(a->bind(1, "one").run());
  auto b = c->prepare("INSERT INTO t(k) VALUES(?)");
  auto r = b->bind(1, "one").run();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "store.constraint") << r.error().describe();
}

TEST_P(SqlLayer, TextWithANulByteIsRefused) {
  auto c = conn();
  ASSERT_TRUE(c->exec("CREATE TABLE t (k TEXT)"));
  auto st = c->prepare("INSERT INTO t(k) VALUES(?)");
  auto r = st->bind(1, std::string("a\0b", 3)).run();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "store.invalid_text");
}

TEST_P(SqlLayer, PrepareTakesOneStatement) {
  auto c = conn();
  auto st = c->prepare("SELECT 1; SELECT 2");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, "store.query_failed");
  auto bad = c->prepare("SELEKT 1");
  auto failed = bad ? bad->step() : Result<bool>(fail(bad.error()));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, "store.query_failed");
}

TEST_P(SqlLayer, WriteRollsBackWhenTheWorkFails) {
  auto p = pool(1, std::chrono::seconds(5));
  ASSERT_TRUE(read(*p, [](Connection& c) { return c.exec("CREATE TABLE t (k TEXT)"); }));
  auto r = write(*p, [](Connection& c) -> Result<void> {
    RELMAN_TRY(st, c.prepare("INSERT INTO t(k) VALUES('kept?')"));
    RELMAN_CHECK(st.run());
    return fail("test.refused", "the caller changed its mind");
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "test.refused");
  auto ok = write(*p, [](Connection& c) -> Result<void> {
    RELMAN_TRY(st, c.prepare("INSERT INTO t(k) VALUES('kept')"));
    return st.run();
  });
  ASSERT_TRUE(ok) << ok.error().describe();
  auto rows = read(*p, [](Connection& c) -> Result<std::string> {
    RELMAN_TRY(st, c.prepare("SELECT k FROM t"));
    std::string all;
    for (;;) {
      RELMAN_TRY(row, st.step());
      if (!row) return all;
      all += st.text(0) + ";";
    }
  });
  ASSERT_TRUE(rows);
  EXPECT_EQ(*rows, "kept;");
}

TEST_P(SqlLayer, TransactionRollsBackUnlessCommitted) {
  auto c = conn();
  ASSERT_TRUE(c->exec("CREATE TABLE t (k TEXT)"));
  {
    auto tx = Transaction::begin(*c);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(c->exec("INSERT INTO t VALUES('dropped')"));
  }
  {
    auto tx = Transaction::begin(*c);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(c->exec("INSERT INTO t VALUES('kept')"));
    ASSERT_TRUE(tx->commit());
  }
  auto st = c->prepare("SELECT COUNT(*), MIN(k) FROM t");
  ASSERT_TRUE(st->step());
  EXPECT_EQ(st->int64(0), 1);
  EXPECT_EQ(st->text(1), "kept");
}

TEST_P(SqlLayer, PoolRefusesWhenEveryConnectionStaysBusy) {
  auto p = pool(1, std::chrono::milliseconds(50));
  {
    auto held = p->acquire();
    ASSERT_TRUE(held);
    auto second = p->acquire();
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, "store.busy");
  }
  auto third = p->acquire();
  EXPECT_TRUE(third);
}

// PostgreSQL: a second connection waits for the lock until the first lets it go; the writes that
// hold it never overlap, so neither has to run again. SQLite: nothing to hold.
TEST_P(SqlLayer, AnAdvisoryLockKeepsWritersApart) {
  auto a = conn();
  auto b = conn();
  ASSERT_TRUE(a && b);
  std::optional<AdvisoryLock> first;
  {
    auto l = AdvisoryLock::take(*a, 42);
    ASSERT_TRUE(l) << l.error().describe();
    first.emplace(std::move(*l));
  }
  std::atomic<bool> second_has_it{false};
  std::thread waiter([&] {
    auto l = AdvisoryLock::take(*b, 42);
    EXPECT_TRUE(l) << l.error().describe();
    second_has_it = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(second_has_it.load(), !on_postgres());
  first.reset();  // unlocks
  waiter.join();
  EXPECT_TRUE(second_has_it.load());

  // write() with a lock key: it runs and commits as without one, and the lock is let go after.
  auto p = pool(2, std::chrono::milliseconds(1000));
  ASSERT_TRUE(write(
      *p, [](Connection& c) { return c.exec("CREATE TABLE locked_t(x BIGINT)"); }, 42));
  ASSERT_TRUE(write(
      *p, [](Connection& c) { return c.exec("INSERT INTO locked_t VALUES(1)"); }, 42));
  auto again = AdvisoryLock::take(*a, 42);  // not left held by the writes' connection
  ASSERT_TRUE(again);
  EXPECT_TRUE(runs(*a, "SELECT x FROM locked_t"));
}

TEST_P(SqlLayer, MigrationsApplyOnceAndInOrder) {
  auto c = conn();
  std::vector<Migration> ms = {
      {1, "one", "CREATE TABLE a (id {{id_pk}}, name TEXT {{sorted}} NOT NULL)"},
      {2, "two", "CREATE TABLE b (id {{id_pk}})", "CREATE INDEX b_sqlite ON b(id)",
       "CREATE INDEX b_pg ON b(id)"},
  };
  auto first = migrate(*c, ms);
  ASSERT_TRUE(first) << first.error().describe();
  auto second = migrate(*c, ms);
  ASSERT_TRUE(second) << "a second run finds nothing to do: " << second.error().describe();
  auto v = schema_version(*c);
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, 2);
  ms.pop_back();
  auto older = migrate(*c, ms);
  ASSERT_FALSE(older);
  EXPECT_EQ(older.error().code, "store.schema_too_new");
}

TEST_P(SqlLayer, AFailingMigrationLeavesTheSchemaVersionAlone) {
  auto c = conn();
  std::vector<Migration> ms = {
      {1, "one", "CREATE TABLE a (id BIGINT)"},
      {2, "broken", "CREATE TABLE b (id BIGINT); CREATE TABLE a (id BIGINT)"},
  };
  auto r = migrate(*c, ms);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "store.migration_failed");
  EXPECT_NE(r.error().message.find("broken"), std::string::npos) << r.error().message;
  EXPECT_EQ(schema_version(*c).value(), 1);
  EXPECT_FALSE(runs(*c, "SELECT COUNT(*) FROM b")) << "migration 2 was rolled back as a whole";
}

TEST_P(SqlLayer, MigrationsAreCheckedBeforeAnyIsApplied) {
  auto c = conn();
  auto order = migrate(
      *c, {{3, "three", "CREATE TABLE a (id BIGINT)"}, {2, "two", "CREATE TABLE b (id BIGINT)"}});
  ASSERT_FALSE(order);
  EXPECT_EQ(order.error().code, "store.migration_invalid");
  auto twice = migrate(
      *c, {{1, "one", "CREATE TABLE a (id BIGINT)"}, {1, "again", "CREATE TABLE b (id BIGINT)"}});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, "store.migration_invalid");
  auto marker = migrate(*c, {{1, "one", "CREATE TABLE a (id BIGINT)"},
                             {2, "two", "CREATE TABLE b (id {{uuid_pk}})"}});
  ASSERT_FALSE(marker);
  EXPECT_EQ(marker.error().code, "store.migration_invalid");
  EXPECT_NE(marker.error().message.find("uuid_pk"), std::string::npos);
  EXPECT_FALSE(runs(*c, "SELECT COUNT(*) FROM a")) << "nothing was applied";
}

// Domains own blocks of numbers; a lower number merged after a higher one must still run.
TEST_P(SqlLayer, ALowerNumberMergedLaterIsStillApplied) {
  auto c = conn();
  ASSERT_TRUE(migrate(
      *c, {{1, "one", "CREATE TABLE a (id BIGINT)"}, {10, "ten", "CREATE TABLE j (id BIGINT)"}}));
  auto r = migrate(*c, {{1, "one", "CREATE TABLE a (id BIGINT)"},
                        {2, "two", "CREATE TABLE b (id BIGINT)"},
                        {10, "ten", "CREATE TABLE j (id BIGINT)"}});
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_TRUE(runs(*c, "SELECT COUNT(*) FROM b")) << "migration 2 ran after 10";
  EXPECT_EQ(schema_version(*c).value(), 10);
  auto without_ten = migrate(
      *c, {{1, "one", "CREATE TABLE a (id BIGINT)"}, {2, "two", "CREATE TABLE b (id BIGINT)"}});
  ASSERT_FALSE(without_ten);
  EXPECT_EQ(without_ten.error().code, "store.schema_too_new");
  EXPECT_NE(without_ten.error().message.find("10"), std::string::npos);
}

TEST_P(SqlLayer, TheShippedMigrationsRender) {
  for (const auto& m : migrations::kAll) {
    auto sql = render_migration(m, GetParam());
    ASSERT_TRUE(sql) << sql.error().describe();
    EXPECT_EQ(sql->find("{{"), std::string::npos) << m.name;
  }
}

RELMAN_INSTANTIATE_BACKENDS(SqlLayer);

// A database written by relman before this layer existed opens, keeps its rows, and works.
TEST(SqliteCompatibility, DatabasesFromBeforeThePortableLayerStillOpen) {
  relman::test::TempDir tmp{"relman-sql-compat"};
  {
    auto c = open_sqlite(tmp / "relman.db");
    ASSERT_TRUE(c);
    auto schema = relman::test::read_file(std::filesystem::path(RELMAN_SOURCE_DIR) /
                                          "tests/fixtures/store/sqlite_schema_v1.sql");
    ASSERT_TRUE((*c)->exec(schema));
  }
  auto store = SqlStore::open_sqlite(tmp / "relman.db");
  ASSERT_TRUE(store) << store.error().describe();
  auto releases = (*store)->search_releases(ReleaseQuery{}, Page{});
  ASSERT_TRUE(releases);
  ASSERT_EQ(releases->size(), 1u);
  EXPECT_EQ((*releases)[0].fields.title, "old");
  auto fresh = (*store)->create_release("new", "", "alice");
  ASSERT_TRUE(fresh) << fresh.error().describe();
  EXPECT_EQ(fresh->number, "REL-000002");
  EXPECT_EQ(fresh->id, 2);
}

// What an operator sees when the server is not there: one line, the URL without its password.
TEST(PgConnection, AnUnreachableServerIsOneReadableLine) {
  auto c = open_postgresql(PgTarget{"postgresql://relman:hunter2@127.0.0.1:1/relman", "s3cret"});
  ASSERT_FALSE(c);
  const auto text = c.error().describe();
#if RELMAN_WITH_POSTGRES
  EXPECT_EQ(c.error().code, "store.open_failed") << text;
  EXPECT_NE(text.find("127.0.0.1"), std::string::npos) << text;
#endif
  EXPECT_EQ(text.find('\n'), std::string::npos) << text;
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
  EXPECT_EQ(text.find("s3cret"), std::string::npos) << text;
}

}  // namespace
}  // namespace relman::controller::sql
