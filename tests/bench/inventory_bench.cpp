// Scale benchmark for inventory intake and reconciliation into the CMDB (docs/benchmarks.md):
// N hosts each send a generated full report (P dpkg packages drawn from a shared pool, plus
// cpu, memory, two disks and a NIC), then one delta each (one package upgraded, one installed,
// one removed). Every report goes through the controller's real path (accept_inventory_report /
// accept_inventory_delta: hash check, delta application, store, reconciliation) into SQLite, or
// with --postgresql into a fresh database on the server at RELMAN_TEST_PG_URL (the tests' server,
// tests/support/test_database.hpp). Only those calls are timed; generating the reports is not.
// ctest runs it only tiny (bench_inventory_smoke: it must still work); the real run is by hand.
// Exit 77: --postgresql without a server (ctest reports a skip).
//
// --concurrency C runs C full reports at once (threads), as the controller's blocking pool does
// when agents report at the same time; "total" is then the phases' wall time. The deltas go
// through the controller's InventoryWriter as the gateway hands them over: --in-flight W keeps
// W deltas queued or being stored at once (as W agents sending at the same time would), and the
// writer stores those that have queued up in one transaction (group commit); a delta's time is
// from its queueing to its answer. --in-flight 0 calls accept_inventory_delta directly on C
// threads instead, one transaction per delta (the method of the runs before group commit).
//
//   bench_inventory [--hosts N] [--packages P] [--pool K] [--concurrency C] [--in-flight W]
//                   [--phase both|full|deltas] [--db FILE | --postgresql]
// --phase full stops after the full reports and keeps the SQLite file; --phase deltas runs the
// deltas on the file a --phase full run left (copy it first to run the deltas again).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include "controller/inventory/inventory_intake.hpp"
#include "controller/inventory/inventory_writer.hpp"
#include "controller/store/sql/pg_connection.hpp"
#include "controller/store/sql_store.hpp"
#include "protocol/inventory_delta.hpp"
#include "protocol/messages.hpp"
#include "tests/support/test_database.hpp"

namespace {
using nlohmann::json;
using relman::protocol::InventoryReport;
using Clock = std::chrono::steady_clock;

struct Options {
  int hosts = 10'000;
  int packages = 1'500;
  int pool = 4'000;  // distinct package names across the fleet
  std::string db = "/tmp/relman-bench-inventory.db";
  bool postgresql = false;
  int concurrency = 1;         // reports in flight at once (the controller's blocking pool: >= 2)
  int in_flight = 64;          // deltas queued on the writer at once; 0: direct, C threads
  std::string phase = "both";  // "full" keeps the database; "deltas" takes one left by "full"
};

constexpr int kSkip = 77;

json package(int name, int version) {
  return json{{"name", "pkg-" + std::to_string(name)},
              {"version", "1." + std::to_string(version) + "-" + std::to_string(name % 7)},
              {"architecture", name % 5 == 0 ? "all" : "amd64"},
              {"installed_size_kib", 100 + name % 900}};
}

// Host h's report; `step` 1 is the state after its delta.
InventoryReport report_of(const Options& o, int h, int step) {
  std::mt19937 rng(static_cast<unsigned>(h) * 7919u + 17u);
  std::uniform_int_distribution<int> pick(0, o.pool - 1);
  std::vector<bool> taken(static_cast<std::size_t>(o.pool));
  json packages = json::array();
  while (static_cast<int>(packages.size()) < o.packages) {
    int n = pick(rng);
    if (taken[static_cast<std::size_t>(n)]) continue;
    taken[static_cast<std::size_t>(n)] = true;
    packages.push_back(package(n, (n + h) % 3));  // three versions of each package in the fleet
  }
  if (step == 1) {
    packages[0] = package(std::stoi(packages[0]["name"].get<std::string>().substr(4)), 9);
    packages.erase(packages.begin() + 1);
    for (int n = 0; n < o.pool; ++n) {
      if (!taken[static_cast<std::size_t>(n)]) {
        packages.push_back(package(n, 0));
        break;
      }
    }
  }
  InventoryReport r;
  r.hostname = "host-" + std::to_string(h);
  r.os_id = "debian";
  r.os_version = "12";
  r.kernel = "6.1.0";
  r.architecture = "x86_64";
  r.cpu_model = "Xeon";
  r.cpu_count = 4;
  r.memory_mb = 8192;
  auto disk = [&](const char* name, int i) {
    return json{{"name", name},
                {"model", "SSD"},
                {"serial", "SN" + std::to_string(h) + "-" + std::to_string(i)},
                {"size_bytes", 1 << 30},
                {"rotational", false}};
  };
  char mac[32];
  std::snprintf(mac, sizeof mac, "52:54:00:%02x:%02x:%02x", (h >> 16) & 255, (h >> 8) & 255,
                h & 255);
  r.facts = json{
      {"cpu", {{"model", "Xeon"}, {"threads", 4}, {"cores", 2}, {"sockets", 1}}},
      {"memory", {{"total_mib", 8192}}},
      {"disks", {{"disks", json::array({disk("sda", 0), disk("sdb", 1)})}}},
      {"network",
       {{"interfaces", json::array({{{"name", "eth0"}, {"mac", mac}, {"speed_mbps", 1000}}})}}},
      {"software", {{"dpkg", {{"packages", std::move(packages)}, {"truncated", false}}}}}};
  r.hash = relman::protocol::inventory_hash(relman::protocol::inventory_document(r)).value();
  return r;
}

std::string agent_of(int h) { return "agent-" + std::to_string(h); }

// This process's CPU time so far, user + system, in seconds (every thread's). Unlike the wall
// time it leaves out what the VM's other guests take and the waits for the disk, so it shows a
// change to the code's work on this noisy machine (docs/benchmarks.md). With --postgresql it
// is the controller's side only: the server's work is in another process.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

struct PhaseResult {
  std::vector<double> ms;  // each call's own time
  double wall_s = 0;       // the batches' wall time, summed
  double cpu_s = 0;        // the process's CPU time in those same intervals
};

// Every host's call, in batches of kBatch hosts: `make(h)` builds host h's input for the batch
// (not timed, on o.concurrency threads), then o.concurrency threads take the batch's inputs in
// turn and `run` them, as the controller's blocking pool runs the reports of agents that send at
// the same time. Timed: each call, and each batch from its first call to its last.
template <class Input, class Make, class Run>
relman::Result<PhaseResult> run_phase(const Options& o, Make make, Run run) {
  constexpr int kBatch = 128;
  PhaseResult out;
  std::mutex mu;
  std::optional<relman::Error> failed;
  for (int first = 0; first < o.hosts; first += kBatch) {
    const int n = std::min(kBatch, o.hosts - first);
    std::vector<std::optional<Input>> inputs(static_cast<std::size_t>(n));
    auto in_threads = [&](auto body) {
      std::atomic<int> next{0};
      std::vector<std::thread> threads;
      for (int t = 0; t < o.concurrency; ++t) {
        threads.emplace_back([&] {
          for (int i = next++; i < n; i = next++) body(i);
        });
      }
      for (auto& t : threads) t.join();
    };
    in_threads([&](int i) { inputs[static_cast<std::size_t>(i)].emplace(make(first + i)); });
    std::vector<double> ms(static_cast<std::size_t>(n));
    auto t0 = Clock::now();
    const double cpu0 = cpu_seconds();
    in_threads([&](int i) {
      auto c0 = Clock::now();
      auto r = run(first + i, *inputs[static_cast<std::size_t>(i)]);
      ms[static_cast<std::size_t>(i)] =
          std::chrono::duration<double, std::milli>(Clock::now() - c0).count();
      if (!r) {
        std::lock_guard lock(mu);
        if (!failed) failed = std::move(r.error());
      }
    });
    out.wall_s += std::chrono::duration<double>(Clock::now() - t0).count();
    out.cpu_s += cpu_seconds() - cpu0;
    if (failed) return relman::fail(std::move(*failed));
    out.ms.insert(out.ms.end(), ms.begin(), ms.end());
  }
  return out;
}

// Every host's delta through `writer`: all inputs are made first (not timed, on o.concurrency
// threads), then they are queued with at most o.in_flight waiting for their answer at once. Timed:
// each delta from its queueing to its answer, and the whole phase.
template <class Make>
relman::Result<PhaseResult> run_through_writer(const Options& o, Make make,
                                               relman::controller::InventoryWriter& writer) {
  std::vector<std::optional<relman::protocol::InventoryDelta>> inputs(
      static_cast<std::size_t>(o.hosts));
  {
    std::atomic<int> next{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < o.concurrency; ++t) {
      threads.emplace_back([&] {
        for (int i = next++; i < o.hosts; i = next++)
          inputs[static_cast<std::size_t>(i)].emplace(make(i));
      });
    }
    for (auto& t : threads) t.join();
  }
  std::fprintf(stderr, "bench_inventory: %d deltas built, queuing them now\n", o.hosts);
  PhaseResult out;
  out.ms.resize(static_cast<std::size_t>(o.hosts));
  std::mutex mu;
  std::condition_variable changed;
  int waiting = 0, answered = 0;
  std::optional<relman::Error> failed;
  auto t0 = Clock::now();
  const double cpu0 = cpu_seconds();
  for (int h = 0; h < o.hosts; ++h) {
    {
      std::unique_lock lock(mu);
      changed.wait(lock, [&] { return waiting < o.in_flight; });
      ++waiting;
    }
    auto queued = Clock::now();
    writer.submit(
        agent_of(h), std::move(*inputs[static_cast<std::size_t>(h)]),
        [&, h, queued](relman::Result<relman::protocol::Message> answer) {
          double ms = std::chrono::duration<double, std::milli>(Clock::now() - queued).count();
          std::lock_guard lock(mu);
          out.ms[static_cast<std::size_t>(h)] = ms;
          if (!failed && !answer) failed = std::move(answer.error());
          if (!failed && !std::holds_alternative<relman::protocol::InventoryAck>(*answer)) {
            failed = relman::Error{"bench.delta_refused",
                                   "host " + std::to_string(h) + "'s delta was not applied", ""};
          }
          --waiting;
          ++answered;
          changed.notify_all();
        });
  }
  {
    std::unique_lock lock(mu);
    changed.wait(lock, [&] { return answered == o.hosts; });
  }
  out.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
  out.cpu_s = cpu_seconds() - cpu0;
  if (failed) return relman::fail(std::move(*failed));
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

void print_phase(const char* name, const PhaseResult& r) {
  std::vector<double> sorted = r.ms;
  std::sort(sorted.begin(), sorted.end());
  auto pct = [&](double p) {
    return sorted.empty() ? 0 : sorted[static_cast<std::size_t>(p * (sorted.size() - 1))];
  };
  std::printf("%-13s %6zu reports  total %8.2f s  median %7.3f ms  p90 %7.3f ms  p99 %7.3f ms\n",
              name, sorted.size(), r.wall_s, median(sorted), pct(0.9), pct(0.99));
  std::printf("%-13s CPU: %.2f s (user + system, every thread of this process)\n", name, r.cpu_s);
  std::fflush(stdout);
}

// This process's I/O so far (/proc/self/io): what it wrote (WAL frames and checkpoint pages,
// to the page cache) and what the kernel read from the disk for it. On the development VM the
// deltas are bound by the disk (docs/benchmarks.md), and these vary less than the times. Not
// write_bytes: the kernel charges a page each time one turns dirty, so the WAL's 4,120-byte
// frames count about twice.
struct IoCounters {
  double written = 0;    // wchar
  double disk_read = 0;  // read_bytes
};

std::optional<IoCounters> io_now() {
  std::ifstream in("/proc/self/io");
  if (!in) return std::nullopt;
  IoCounters io;
  std::string key;
  double value = 0;
  while (in >> key >> value) {
    if (key == "wchar:") io.written = value;
    if (key == "read_bytes:") io.disk_read = value;
  }
  return io;
}

void print_io(const char* name, const std::optional<IoCounters>& before, int calls) {
  auto after = io_now();
  if (!before || !after || calls <= 0) return;
  auto mb = [](double bytes) { return bytes / 1e6; };
  const double written = after->written - before->written;
  std::printf("%-13s I/O: wrote %.1f MB (%.1f KB a report), read %.1f MB from the disk\n", name,
              mb(written), written / 1e3 / calls, mb(after->disk_read - before->disk_read));
  std::fflush(stdout);
}

int fail_with(const relman::Error& e) {
  std::fprintf(stderr, "bench_inventory: %s\n", e.describe().c_str());
  return 1;
}
}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);  // one info line per report would be timed too
  Options o;
  for (int i = 1; i < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--postgresql") {
      o.postgresql = true;
      --i;
    } else if (i + 1 >= argc) {
      std::fprintf(stderr, "bench_inventory: %s needs a value\n", a.c_str());
      return 2;
    } else if (a == "--hosts")
      o.hosts = std::atoi(argv[i + 1]);
    else if (a == "--packages")
      o.packages = std::atoi(argv[i + 1]);
    else if (a == "--pool")
      o.pool = std::atoi(argv[i + 1]);
    else if (a == "--db")
      o.db = argv[i + 1];
    else if (a == "--concurrency")
      o.concurrency = std::atoi(argv[i + 1]);
    else if (a == "--in-flight")
      o.in_flight = std::atoi(argv[i + 1]);
    else if (a == "--phase")
      o.phase = argv[i + 1];
    else {
      std::fprintf(stderr,
                   "usage: bench_inventory [--hosts N] [--packages P] [--pool K] "
                   "[--concurrency C] [--in-flight W] [--phase both|full|deltas] "
                   "[--db F | --postgresql]\n");
      return 2;
    }
  }
  if (o.hosts < 1 || o.packages < 2 || o.packages >= o.pool || o.concurrency < 1 ||
      o.concurrency > 16 || o.in_flight < 0 || o.in_flight > 10'000 ||
      (o.phase != "both" && o.phase != "full" && o.phase != "deltas") ||
      (o.postgresql && o.phase != "both")) {
    std::fprintf(stderr,
                 "bench_inventory: needs --hosts >= 1, --packages >= 2, --pool > --packages, "
                 "1 <= --concurrency <= 16, 0 <= --in-flight <= 10000, --phase both, full or "
                 "deltas (SQLite only)\n");
    return 2;
  }
  const bool run_full = o.phase != "deltas";
  const bool run_deltas = o.phase != "full";
  std::optional<relman::test::PgTestDatabase> pg;
  relman::Result<std::unique_ptr<relman::controller::SqlStore>> opened =
      relman::fail("bench.no_store", "no store");
  if (o.postgresql) {
    if (auto why = relman::test::postgres_missing(); !why.empty()) {
      std::fprintf(stderr, "bench_inventory: %s\n", why.c_str());
      return relman::test::postgres_required() ? 1 : kSkip;
    }
    pg.emplace();
    opened = relman::controller::SqlStore::open_postgresql(
        relman::controller::sql::PgTarget{pg->url(), relman::test::postgres_password()}, 4);
  } else {
    if (run_full) {
      for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(o.db + suffix);
    } else if (!std::filesystem::exists(o.db)) {
      std::fprintf(stderr, "bench_inventory: --phase deltas needs %s from --phase full\n",
                   o.db.c_str());
      return 2;
    }
    opened = relman::controller::SqlStore::open_sqlite(o.db);
  }
  if (!opened) return fail_with(opened.error());
  auto& store = **opened;
  std::printf(
      "hosts %d, packages per host %d, package pool %d, concurrency %d, deltas in flight %d, %s\n",
      o.hosts, o.packages, o.pool, o.concurrency, o.in_flight,
      o.postgresql ? ("PostgreSQL database " + pg->name()).c_str() : ("SQLite " + o.db).c_str());

  if (run_full) {
    for (int h = 0; h < o.hosts; ++h) {
      auto r = store.host_connected(agent_of(h), 1000);
      if (!r) return fail_with(r.error());
    }

    auto io = o.postgresql ? std::nullopt : io_now();  // the server's I/O is not ours
    auto full = run_phase<InventoryReport>(
        o, [&](int h) { return report_of(o, h, 0); },
        [&](int h, InventoryReport& report) -> relman::Result<void> {
          auto ack = relman::controller::accept_inventory_report(store, agent_of(h),
                                                                 std::move(report), 2000);
          if (!ack) return relman::fail(std::move(ack.error()));
          return {};
        });
    if (!full) return fail_with(full.error());
    print_phase("full reports", *full);
    print_io("full reports", io, o.hosts);
  }
  if (!run_deltas) return 0;

  auto make_delta = [&](int h) {
    auto before = relman::protocol::inventory_document(report_of(o, h, 0));
    auto next = report_of(o, h, 1);
    auto after = relman::protocol::inventory_document(next);
    return relman::protocol::InventoryDelta{relman::protocol::inventory_hash(before).value(),
                                            next.hash,
                                            relman::protocol::diff_inventory(before, after)};
  };
  relman::controller::InventoryWriter writer(store,
                                             relman::controller::InventoryWriter::kDefaultMaxBatch,
                                             [] { return std::int64_t{3000}; });
  auto io = o.postgresql ? std::nullopt : io_now();
  auto deltas =
      o.in_flight > 0
          ? run_through_writer(o, make_delta, writer)
          : run_phase<relman::protocol::InventoryDelta>(
                o, make_delta,
                [&](int h, relman::protocol::InventoryDelta& delta) -> relman::Result<void> {
                  auto ack =
                      relman::controller::accept_inventory_delta(store, agent_of(h), delta, 3000);
                  if (!ack) return relman::fail(std::move(ack.error()));
                  if (!std::holds_alternative<relman::protocol::InventoryAck>(*ack)) {
                    return relman::fail("bench.delta_refused",
                                        "host " + std::to_string(h) + "'s delta was not applied");
                  }
                  return {};
                });
  if (!deltas) return fail_with(deltas.error());
  print_phase("deltas", *deltas);
  print_io("deltas", io, o.hosts);
  if (o.in_flight > 0) {
    auto stats = writer.stats();
    std::printf("deltas stored in %llu transactions (%.1f deltas each, at most %zu)\n",
                static_cast<unsigned long long>(stats.batches),
                static_cast<double>(stats.deltas) /
                    static_cast<double>(std::max<std::uint64_t>(1, stats.batches)),
                stats.largest);
  }

  // The reconciled CMDB agrees with the reports: host 0 runs its changed package's new version
  // (and only that one), which the delta step gave it.
  auto last = report_of(o, 0, 1);
  const auto& changed = last.facts["software"]["dpkg"]["packages"][0];
  auto running = store.hosts_running(changed["name"].get<std::string>(), std::nullopt,
                                     relman::controller::Page{500, 0});
  if (!running) return fail_with(running.error());
  bool host0 = false;
  for (const auto& r : *running) {
    if (r.agent_id != "agent-0") continue;
    if (host0 || r.version != changed["version"]) {
      std::fprintf(stderr, "bench_inventory: agent-0 runs %s %s in the CMDB, not only %s\n",
                   r.name.c_str(), r.version.c_str(), changed["version"].dump().c_str());
      return 1;
    }
    host0 = true;
  }
  if (!host0) {
    std::fprintf(stderr, "bench_inventory: the CMDB does not show agent-0's changed package\n");
    return 1;
  }
  std::printf("hosts running %s (first page): %zu", changed["name"].get<std::string>().c_str(),
              running->size());
  if (!o.postgresql) {
    std::printf("; database %.0f MB", static_cast<double>(std::filesystem::file_size(o.db)) / 1e6);
  }
  std::printf("\n");
  return 0;
}
