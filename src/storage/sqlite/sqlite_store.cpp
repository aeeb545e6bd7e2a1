#include "storage/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

#include "storage/sql/pool.h"
#include "storage/sql/sql_tx.h"
#include "storage/sqlite/connection.h"

namespace klozeo::storage::sqlite {

namespace {

using core::Error;
using core::Result;
using core::Status;

/// Checkpoints the WAL off the commit path, on a connection of its own, and keeps the log
/// bounded without stopping the writer for long (docs/GROUP-COMMIT.md, "Checkpoints").
///
/// A PASSIVE checkpoint runs in the background once the writer's WAL hook reports kPages frames
/// appended since the last one: it copies each page once, however many commits rewrote it, so
/// the interval is counted in new frames, not in the log's size. SQLite restarts the log (writes
/// again from its start) only when a write transaction begins with every frame copied, which a
/// writer that never pauses does not allow. So once the log holds kRestart frames, the
/// background copies what was appended during its last pass, again, until at most kFinal frames
/// are left, then takes the writer for the time of one last small pass (`while_idle`): the next
/// write transaction restarts the log. The writer checkpoints on its own commit path only past
/// kWriterPages (the background could not keep up, or readers held the log).
class Checkpointer {
 public:
  static constexpr int kPages = 16000;        // 64 MB of 4 KB pages appended since the last pass
  static constexpr int kRestart = 32000;      // 128 MB: the log is then brought to a restart
  static constexpr int kFinal = 256;          // frames left for the pass that holds the writer
  static constexpr int kCatchUpPasses = 8;    // background passes to get there
  static constexpr int kWriterPages = 64000;  // 256 MB: the writer checkpoints itself

  /// Runs a function while the writer is idle (no write transaction open in this process, none
  /// able to begin); false when it could not (then the restart is tried again later).
  using WhileIdle = std::function<bool(const std::function<void()>&)>;

  Checkpointer(std::string path, WhileIdle while_idle)
      : path_(std::move(path)), while_idle_(std::move(while_idle)) {}
  ~Checkpointer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

  /// Hooks `writer` up: its commits report the WAL's size here instead of checkpointing.
  void Watch(Connection& writer) {
    sqlite3_wal_hook(writer.raw(), &Checkpointer::OnCommit, this);
    std::lock_guard<std::mutex> lock(mu_);
    if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
  }

 private:
  static int OnCommit(void* self, sqlite3* db, const char* name, int pages) {
    auto* c = static_cast<Checkpointer*>(self);
    if (pages >= kWriterPages) {
      // The background did not restart the log: the writer checkpoints what it left, so the log
      // restarts at its next transaction and stays bounded (busy: tried again next commit).
      int copied = 0;
      (void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, &copied);
      std::lock_guard<std::mutex> lock(c->mu_);
      c->copied_ = std::max(copied, 0);
      c->log_ = pages;
      return SQLITE_OK;
    }
    std::lock_guard<std::mutex> lock(c->mu_);
    if (pages < c->log_) {  // the log restarted
      c->copied_ = 0;
      c->restart_at_ = kRestart;
    }
    c->log_ = pages;
    if (pages - c->copied_ >= kPages || pages >= c->restart_at_) {
      c->pending_ = true;
      c->cv_.notify_one();
    }
    return SQLITE_OK;
  }

  /// One PASSIVE checkpoint on the checkpointer's connection: the frames it copied, or -1.
  int Pass(std::unique_ptr<Connection>& conn) {
    if (conn == nullptr) {
      auto opened = Connection::Open(path_, 1000);
      if (!opened.ok()) return -1;
      conn = std::move(*opened);
    }
    int copied = -1;
    (void)sqlite3_wal_checkpoint_v2(conn->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                    &copied);
    return copied;
  }

  void Run() {
    std::unique_ptr<Connection> conn;
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return stop_ || pending_; });
      if (stop_) return;
      pending_ = false;
      bool restart = log_ >= restart_at_;
      lock.unlock();
      // A failed or partial checkpoint is retried on a later commit.
      int copied = Pass(conn);
      for (int pass = 1; restart && copied >= 0; ++pass) {
        lock.lock();
        // Frames of the log this pass saw (0 if it had restarted meanwhile).
        if (copied > 0 && copied <= log_) copied_ = copied;
        const int left = log_ - copied_;
        restart = log_ >= restart_at_ && !stop_;
        lock.unlock();
        if (!restart) break;
        if (left > kFinal && pass < kCatchUpPasses) {
          copied = Pass(conn);
          continue;
        }
        // Few frames left: copy them while no write can append more (if the writer could not be
        // had, or readers kept frames in use, the log restarts at a later attempt).
        (void)while_idle_([&] { copied = Pass(conn); });
        lock.lock();
        // Done or not, the next attempt waits for the log to restart (OnCommit resets this)
        // or to grow by kPages more.
        restart_at_ = log_ + kPages;
        if (copied > 0 && copied <= log_) copied_ = copied;
        lock.unlock();
        break;
      }
      lock.lock();
      if (copied > 0 && copied <= log_) copied_ = copied;
    }
  }

  std::string path_;
  WhileIdle while_idle_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool pending_ = false;
  int log_ = 0;                ///< the log's size in frames at the last commit
  int copied_ = 0;             ///< frames of it checkpointed
  int restart_at_ = kRestart;  ///< the log's size at which to bring it to a restart
  bool stop_ = false;
  std::thread thread_;
};

/// The write transaction that writers queued for the one writer share (group commit,
/// docs/GROUP-COMMIT.md): each member runs in a savepoint of it, and is answered after the
/// COMMIT that holds it.
struct Group {
  int members = 0;  ///< savepoints opened in it
  int kept = 0;     ///< members whose savepoint was released (their work is to be committed)
  bool done = false;
  Status result = core::Ok();  ///< the COMMIT's outcome, once done
};

/// Undoes a group member's writes and ends its savepoint ("member"), keeping the group's.
void RollBackMember(Connection& conn) {
  (void)conn.RunCached("ROLLBACK TO member");
  (void)conn.RunCached("RELEASE member");
}

/// A Database::Write queued for the writer: the thread that holds the writer runs it (Pool::Run).
struct Job {
  /// Runs the work as a member of the open transaction on the connection (moved in and back),
  /// in a savepoint when `guarded` (else its writes, even a failed run's, stay in the
  /// transaction); ok when its writes are to be committed.
  std::function<Status(std::unique_ptr<Connection>&, bool guarded)> run;
  /// Database::Write with Rerun::kYes: the work may run again (Pool::Run).
  bool rerunnable = false;
  bool done = false;  ///< answered: `result` holds the outcome
  bool lead = false;  ///< its thread is to take the writer and run the queue (Pool::Run)
  Status result = core::Ok();
  std::condition_variable cv;  ///< signalled (under the pool's lock) when done or lead is set
  /// Database::WriteAsync: nobody waits for the job; this gets its outcome instead (called by
  /// the runner, outside the pool's lock), and the job is then deleted.
  std::function<void(Status)> then;
};

/// The read connections, and the one writer that write transactions take in turn: queueing
/// here instead of in SQLite's busy handler (which sleeps up to 100 ms) hands the lock over at
/// once and keeps the writer's page cache warm. A writer that finishes while others queue hands
/// them its open transaction instead of committing it (Leave).
class Pool : public ConnectionPool<Connection> {
 public:
  /// Most members one transaction holds before it is committed (bounds the first member's wait).
  static constexpr int kMaxGroup = 64;
  /// How long a finished member waits for another writer to queue, when more are coming.
  static constexpr std::chrono::microseconds kLinger{200};

  explicit Pool(Options options)
      : ConnectionPool<Connection>(options.pool_size, options.busy_timeout_ms,
                                   [this] { return Open(); }),
        options_(std::move(options)) {}

  Result<std::unique_ptr<Connection>> Open() const {
    return Connection::Open(options_.path, options_.busy_timeout_ms);
  }

  /// The writer connection, with the group whose transaction is open on it (null: none is).
  struct Writer {
    std::unique_ptr<Connection> conn;
    std::shared_ptr<Group> group;
  };

  /// `counted`: writers that finish meanwhile see this one queued (Leave hands it their open
  /// transaction, a runner stops lingering). The checkpointer's wait is not counted: it takes
  /// the writer between groups.
  Result<Writer> AcquireWriter(bool counted = true) {
    std::unique_lock<std::mutex> lock(writer_mu_);
    if (counted) {
      ++waiting_;
      if (writer_busy_) arrival_cv_.notify_one();
    }
    const bool free = writer_cv_.wait_for(lock, std::chrono::milliseconds(options_.busy_timeout_ms),
                                          [&] { return !writer_busy_; });
    if (counted) --waiting_;
    if (!free) return Error::Unavailable("the database stayed busy with other writes");
    if (writer_ == nullptr) {
      KLOZEO_ASSIGN_OR_RETURN(writer_, Open());
      // Savepoints (group members) keep their undo copies of pages in memory, not in a file.
      KLOZEO_TRY(writer_->Exec("PRAGMA cache_size=-64000; PRAGMA temp_store=MEMORY"));
      checkpointer_.Watch(*writer_);
    }
    writer_busy_ = true;
    return Writer{std::move(writer_), group_};
  }

  /// Runs `fn` holding the writer between groups: no write transaction of this process is open
  /// or can begin meanwhile (the Checkpointer's last pass before a restart of the log). False,
  /// without running it, when the writer did not come free in time; a group handed over with the
  /// writer is committed first (its members answered) and `fn` not run.
  bool WhileWriterIdle(const std::function<void()>& fn) {
    auto acquired = AcquireWriter(false);
    if (!acquired.ok()) return false;
    std::unique_lock<std::mutex> lock(writer_mu_);
    if (acquired->group != nullptr) {
      CommitLocked(lock, std::move(acquired->conn), acquired->group);
      return false;
    }
    lock.unlock();
    fn();
    lock.lock();
    writer_ = std::move(acquired->conn);
    writer_busy_ = false;
    lock.unlock();
    writer_cv_.notify_one();
    return true;
  }

  /// Whether some thread waits in AcquireWriter.
  bool WriterWanted() {
    std::lock_guard<std::mutex> lock(writer_mu_);
    return waiting_ > 0;
  }

  /// A member of `group` is done: its savepoint was released (`kept`) or rolled back. While
  /// other writers queue (and the group is not full), the open transaction goes to the next
  /// one; otherwise it is committed here. A kept member returns once the COMMIT holding its
  /// work has run, with that COMMIT's outcome.
  Status Leave(std::unique_ptr<Connection> conn, const std::shared_ptr<Group>& group, bool kept) {
    std::unique_lock<std::mutex> lock(writer_mu_);
    if (kept) ++group->kept;
    if (sqlite3_get_autocommit(conn->raw()) != 0) {
      // SQLite ended the transaction itself (an I/O error, a full disk), or a member that
      // shared the group's fate failed: the work of every member waiting for the COMMIT is gone.
      CloseLocked(lock, std::move(conn), group,
                  Error::Unavailable("the write transaction was rolled back by the database"));
      return kept ? group->result : core::Ok();
    }
    if (waiting_ == 0 && group->members < kMaxGroup && MoreComing(*group, kept)) {
      // Other writes are on their way (still parsing their requests): a short wait for one to
      // queue lets it share this commit instead of paying for its own.
      arrival_cv_.wait_for(lock, kLinger, [&] { return waiting_ > 0; });
    }
    if (waiting_ > 0 && group->members < kMaxGroup) {
      HandOnLocked(std::move(conn), group);
      if (!kept) return core::Ok();
      group_cv_.wait(lock, [&] { return group->done; });
      return group->result;
    }
    CommitLocked(lock, std::move(conn), group);
    return kept ? group->result : core::Ok();
  }

  /// Database::Write: queues `job` for the writer. The thread that finds no runner becomes it
  /// (Run): it takes the writer and runs the queued jobs back to back, each in a savepoint of one
  /// transaction, without waking each job's thread in turn; the others wait for their answer.
  Status RunQueued(Job& job) {
    std::unique_lock<std::mutex> lock(writer_mu_);
    jobs_.push_back(&job);
    if (running_) {
      arrival_cv_.notify_one();  // a runner or a member lingering for more writes
      job.cv.wait(lock, [&] { return job.done || job.lead; });
      if (job.done) return job.result;
    }
    running_ = true;
    lock.unlock();
    return Run(&job);
  }

  /// Database::WriteAsync: queues `job` (owned by the pool from now on, `then` set) and
  /// returns. When nobody runs the queue, the pool's runner thread takes that part.
  void Queue(std::unique_ptr<Job> job) {
    std::unique_lock<std::mutex> lock(writer_mu_);
    jobs_.push_back(job.release());
    if (running_) {
      arrival_cv_.notify_one();
      return;
    }
    running_ = true;
    WakeRunnerThreadLocked();
  }

  /// The server's count of the write requests it is handling (Database::CountWritesIn).
  void CountWritesIn(const std::atomic<int>* counter) { in_flight_.store(counter); }

  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(writer_mu_);
      stopping_ = true;
    }
    runner_cv_.notify_one();
    if (runner_thread_.joinable()) runner_thread_.join();
  }

 private:
  /// Gives the runner's part to the pool's own thread (started at its first use): the first
  /// queued job is a WriteAsync one, whose caller does not wait.
  void WakeRunnerThreadLocked() {
    runner_wanted_ = true;
    if (!runner_thread_.joinable()) {
      runner_thread_ = std::thread([this] { RunnerThread(); });
    } else {
      runner_cv_.notify_one();
    }
  }

  void RunnerThread() {
    std::unique_lock<std::mutex> lock(writer_mu_);
    while (true) {
      // Queued jobs are run even when stopping (their callers are owed an answer).
      runner_cv_.wait(lock, [&] { return runner_wanted_ || stopping_; });
      if (!runner_wanted_) return;
      runner_wanted_ = false;
      lock.unlock();
      (void)Run(nullptr);
      lock.lock();
    }
  }

  /// The WriteAsync jobs a runner answered, called once the pool's lock is released.
  class Callbacks {
   public:
    Callbacks() = default;
    Callbacks(const Callbacks&) = delete;
    Callbacks& operator=(const Callbacks&) = delete;
    ~Callbacks() {
      for (Job* job : jobs_) {
        job->then(std::move(job->result));
        delete job;
      }
    }
    /// Gives `job` its outcome: wakes its thread, or keeps it for `then`.
    void Answer(Job& job, Status result) {
      if (!job.then) {
        Pool::Answer(job, std::move(result));
        return;
      }
      job.result = std::move(result);
      jobs_.push_back(&job);
    }

   private:
    std::vector<Job*> jobs_;
  };

  /// The runner's turn (RunQueued, or the runner thread with `mine` null): `mine` is at the
  /// head of the queue. Takes the writer (and the transaction open on it, if a group is under
  /// way), runs queued jobs while they come (up to kMaxGroup members, lingering as Leave does),
  /// then hands the transaction to a Tx queued in AcquireWriter or commits it, answers the jobs
  /// it ran, and passes the runner's part to the first job still queued.
  Status Run(Job* mine) {
    Callbacks callbacks;  // declared before the lock: run after it is released
    auto acquired = AcquireWriter();
    std::unique_lock<std::mutex> lock(writer_mu_);
    if (!acquired.ok()) {
      // Nothing ran: every queued job gets the same answer (the writer stayed busy).
      for (Job* job : std::exchange(jobs_, {})) callbacks.Answer(*job, acquired.error());
      running_ = false;
      return std::move(acquired).error();
    }
    std::unique_ptr<Connection> conn = std::move(acquired->conn);
    std::shared_ptr<Group> group = std::move(acquired->group);
    // Members run without a savepoint while the group is this runner's alone (begun here) and
    // every member kept so far may run again: if one then fails, the group is rolled back and
    // the kept ones run again (Redo).
    bool unguarded = group == nullptr;
    if (group == nullptr) {
      group = std::make_shared<Group>();
      lock.unlock();
      Status begun = conn->RunCached("BEGIN IMMEDIATE");
      lock.lock();
      if (!begun.ok()) {
        CloseLocked(lock, std::move(conn), group, begun);
        // The first job (mine, if any) gets the error; the next takes the writer in its turn.
        if (!jobs_.empty()) {
          Job* first = jobs_.front();
          jobs_.pop_front();
          if (first != mine) callbacks.Answer(*first, begun);
        }
        PassRunnerLocked();
        return begun;
      }
    }
    std::vector<Job*> kept;
    // A job's outcome: mine is returned by this call, another's is answered after the lock.
    auto answer = [&](Job& job, Status result) {
      if (&job == mine) {
        mine->result = std::move(result);
      } else {
        callbacks.Answer(job, std::move(result));
      }
    };
    // The first job (mine) runs whatever the group's size.
    for (bool first = true;
         sqlite3_get_autocommit(conn->raw()) == 0 && (first || group->members < kMaxGroup);
         first = false) {
      if (jobs_.empty() && waiting_ == 0 && MoreComing(*group, true)) {
        arrival_cv_.wait_for(lock, kLinger, [&] { return waiting_ > 0 || !jobs_.empty(); });
      }
      if (jobs_.empty()) break;
      Job* job = jobs_.front();
      jobs_.pop_front();
      ++group->members;
      const bool guarded = !(unguarded && job->rerunnable);
      lock.unlock();
      Status ran = job->run(conn, guarded);
      std::vector<std::pair<Job*, Status>> redone_failed;
      if (!ran.ok() && !guarded && sqlite3_get_autocommit(conn->raw()) == 0) {
        // Its writes are in the transaction, unguarded: the group starts again without them.
        redone_failed = Redo(conn, kept);
      }
      lock.lock();
      if (!guarded && !ran.ok()) {
        unguarded = false;  // the rest of this group runs in savepoints
        group->kept = static_cast<int>(kept.size());
        for (auto& [other, error] : redone_failed) answer(*other, std::move(error));
      }
      if (ran.ok()) {
        ++group->kept;
        kept.push_back(job);
        unguarded = unguarded && job->rerunnable;
      } else {
        answer(*job, std::move(ran));
      }
    }
    bool passed = false;
    if (sqlite3_get_autocommit(conn->raw()) != 0) {
      CloseLocked(lock, std::move(conn), group,
                  Error::Unavailable("the write transaction was rolled back by the database"));
    } else if (waiting_ > 0 && group->members < kMaxGroup) {
      // A Tx queued for the writer: the group goes on with it, and commits later.
      HandOnLocked(std::move(conn), group);
      PassRunnerLocked();
      passed = true;
      group_cv_.wait(lock, [&] { return group->done; });
    } else {
      CommitLocked(lock, std::move(conn), group);
    }
    if (!passed) PassRunnerLocked();
    for (Job* job : kept) answer(*job, group->result);
    return mine != nullptr ? mine->result : core::Ok();
  }

  /// A member that ran without a savepoint failed: rolls the group's transaction back, begins it
  /// again and runs the members it had kept again, each in a savepoint (they may run again:
  /// Job::rerunnable). Returns those that failed now, with their errors, to be answered under
  /// the pool's lock (they leave `kept`). If the transaction cannot begin again or SQLite ends
  /// it, the connection is left in autocommit and Run answers what is kept with an error. Runs
  /// without the pool's lock, holding the writer.
  static std::vector<std::pair<Job*, Status>> Redo(std::unique_ptr<Connection>& conn,
                                                   std::vector<Job*>& kept) {
    std::vector<std::pair<Job*, Status>> failed;
    (void)conn->RunCached("ROLLBACK");
    if (!conn->RunCached("BEGIN IMMEDIATE").ok()) return failed;
    std::vector<Job*> still;
    for (size_t i = 0; i < kept.size(); ++i) {
      if (sqlite3_get_autocommit(conn->raw()) != 0) {
        still.insert(still.end(), kept.begin() + static_cast<std::ptrdiff_t>(i), kept.end());
        break;
      }
      Status ran = kept[i]->run(conn, true);
      if (ran.ok()) {
        still.push_back(kept[i]);
      } else {
        failed.emplace_back(kept[i], std::move(ran));
      }
    }
    kept = std::move(still);
    return failed;
  }

  /// Gives `job` its outcome and wakes its thread.
  static void Answer(Job& job, Status result) {
    job.result = std::move(result);
    job.done = true;
    job.cv.notify_one();
  }

  /// Ends this thread's turn as the runner: the first queued job's thread takes it (the pool's
  /// runner thread for a WriteAsync job).
  void PassRunnerLocked() {
    running_ = !jobs_.empty();
    if (!running_) return;
    if (jobs_.front()->then) {
      WakeRunnerThreadLocked();  // nobody waits on that job: the pool's thread runs the queue
      return;
    }
    jobs_.front()->lead = true;
    jobs_.front()->cv.notify_one();
  }

  /// Whether writers that have not queued yet are about to: write requests the server is
  /// handling beyond those already in the group (its kept members, waiting for the COMMIT, and
  /// the one leaving) and those queued. Without the server's count, a group that already has
  /// several members is taken as the sign.
  bool MoreComing(const Group& group, bool kept) const {
    const std::atomic<int>* in_flight = in_flight_.load(std::memory_order_relaxed);
    if (in_flight == nullptr) return group.members > 1;
    const int here = group.kept + (kept ? 0 : 1);
    return in_flight->load(std::memory_order_relaxed) > here + waiting_;
  }

  /// Hands the transaction open on `conn` to the write Tx queued for the writer (AcquireWriter):
  /// `group` goes on with it and commits later.
  void HandOnLocked(std::unique_ptr<Connection> conn, const std::shared_ptr<Group>& group) {
    writer_ = std::move(conn);
    group_ = group;
    writer_busy_ = false;
    writer_cv_.notify_one();
  }

  /// Commits `group` (rolls it back when no member kept its work) outside the lock, then ends it
  /// with the outcome (CloseLocked).
  void CommitLocked(std::unique_lock<std::mutex>& lock, std::unique_ptr<Connection> conn,
                    const std::shared_ptr<Group>& group) {
    lock.unlock();
    Status result = group->kept > 0 ? conn->RunCached("COMMIT") : conn->RunCached("ROLLBACK");
    if (!result.ok() && sqlite3_get_autocommit(conn->raw()) == 0) {
      (void)conn->RunCached("ROLLBACK");  // a COMMIT that failed leaves the transaction open
    }
    lock.lock();
    CloseLocked(lock, std::move(conn), group, std::move(result));
  }

  /// Ends `group` with `result`, wakes its members, and frees the writer.
  void CloseLocked(std::unique_lock<std::mutex>& lock, std::unique_ptr<Connection> conn,
                   const std::shared_ptr<Group>& group, Status result) {
    group->result = std::move(result);
    group->done = true;
    writer_ = std::move(conn);
    group_ = nullptr;
    writer_busy_ = false;
    lock.unlock();
    writer_cv_.notify_one();
    group_cv_.notify_all();
    lock.lock();
  }

  Options options_;
  std::mutex writer_mu_;
  std::condition_variable writer_cv_;
  std::condition_variable group_cv_;
  std::condition_variable arrival_cv_;  ///< a writer queued (Leave's short wait)
  std::unique_ptr<Connection> writer_;
  std::shared_ptr<Group> group_;  ///< the transaction open on writer_, if any
  bool writer_busy_ = false;
  int waiting_ = 0;             ///< threads in AcquireWriter
  std::deque<Job*> jobs_;       ///< Database::Write's jobs not yet run (RunQueued)
  bool running_ = false;        ///< a thread runs the queued jobs (or is about to)
  bool runner_wanted_ = false;  ///< the runner thread is to run the queue (WakeRunnerThreadLocked)
  bool stopping_ = false;
  std::condition_variable runner_cv_;
  std::thread runner_thread_;  ///< runs the queue for WriteAsync jobs (started at first use)
  std::atomic<const std::atomic<int>*> in_flight_{nullptr};  ///< CountWritesIn
  /// Declared after writer_: joined first.
  Checkpointer checkpointer_{
      options_.path, [this](const std::function<void()>& fn) { return WhileWriterIdle(fn); }};
};

/// A write Tx is a member of a group: a savepoint in the group's transaction on the writer
/// (begun IMMEDIATE by its first member); rolling back undoes its work alone. A read Tx opens no
/// transaction: each statement reads a consistent snapshot (a lead with its attributes is one).
class SqliteTx final : public SqlTx<Connection> {
 public:
  SqliteTx(Pool* pool, std::unique_ptr<Connection> conn, std::shared_ptr<Group> group,
           bool savepoint)
      : SqlTx<Connection>(std::move(conn)),
        pool_(pool),
        group_(std::move(group)),
        savepoint_(savepoint) {}
  ~SqliteTx() override {
    if (owned_ == nullptr) return;  // a committed write Tx gave the writer back already
    if (group_ == nullptr) {
      pool_->Release(std::move(owned_));
      return;
    }
    if (savepoint_) {
      RollBackMember(*owned_);
    } else {
      // The group's first member, or one that shares the group's fate: the whole transaction
      // (Leave then answers every member waiting for it with an error).
      (void)owned_->RunCached("ROLLBACK");
    }
    (void)pool_->Leave(std::move(owned_), group_, false);
  }

  Status ShareFate() override {
    if (!savepoint_ || owned_ == nullptr) return core::Ok();
    // What this member wrote so far stays in the group's transaction, unguarded: it is about
    // to write a lot, and every page it dirties inside a savepoint is first copied aside.
    KLOZEO_TRY(owned_->RunCached("RELEASE member"));
    savepoint_ = false;
    return core::Ok();
  }

  bool WriterWanted() const override { return group_ != nullptr && pool_->WriterWanted(); }

  Status Commit() override {
    if (group_ == nullptr || owned_ == nullptr) return core::Ok();
    if (savepoint_) {
      Status released = owned_->RunCached("RELEASE member");
      if (!released.ok()) return released;  // the destructor rolls the member back
    }
    // The writer goes back now, not at destruction: a caller may begin another write first.
    return pool_->Leave(std::move(owned_), group_, true);
  }

 private:
  Pool* pool_;
  std::shared_ptr<Group> group_;  ///< null for a read Tx
  bool savepoint_ = false;        ///< in a savepoint (not the group's first member)
};

/// The Tx a Database::Write's work gets: a savepoint on the writer, begun and ended by the
/// runner (Pool::Run), which then takes the connection back.
class JobTx final : public SqlTx<Connection> {
 public:
  explicit JobTx(std::unique_ptr<Connection> conn) : SqlTx<Connection>(std::move(conn)) {}
  Status Commit() override { return Error::Internal("a Database::Write work must not commit"); }
  std::unique_ptr<Connection> Release() { return std::move(owned_); }
};

class SqliteDatabase final : public SqlDatabase<Pool, SqliteTx> {
 public:
  explicit SqliteDatabase(Options options) : SqlDatabase(std::move(options)) {}

  Status Write(const std::function<Status(Tx&)>& work, Rerun rerun) override {
    Job job;
    job.run = [&work](std::unique_ptr<Connection>& conn, bool guarded) -> Status {
      return RunMember(work, conn, guarded);
    };
    job.rerunnable = rerun == Rerun::kYes;
    return pool_.RunQueued(job);
  }

  void WriteAsync(std::function<Status(Tx&)> work, std::function<void(Status)> then,
                  Rerun rerun) override {
    auto job = std::make_unique<Job>();
    job->run = [work = std::move(work)](std::unique_ptr<Connection>& conn, bool guarded) -> Status {
      return RunMember(work, conn, guarded);
    };
    job->rerunnable = rerun == Rerun::kYes;
    job->then = std::move(then);
    pool_.Queue(std::move(job));
  }

  void CountWritesIn(const std::atomic<int>* counter) override { pool_.CountWritesIn(counter); }

  /// A Write's work as a member of the group open on `conn`: `guarded`, in its own savepoint
  /// (released when it succeeds, rolled back alone when it fails); else straight in the group's
  /// transaction (Pool::Run undoes a failed one by rolling the group back: Pool::Redo).
  static Status RunMember(const std::function<Status(Tx&)>& work, std::unique_ptr<Connection>& conn,
                          bool guarded) {
    if (guarded) KLOZEO_TRY(conn->RunCached("SAVEPOINT member"));
    Status done = core::Ok();
    {
      JobTx tx(std::move(conn));
      done = RunWork(work, tx);  // on the runner's thread: an exception is answered
      conn = tx.Release();
    }
    if (!guarded) return done;
    if (done.ok()) done = conn->RunCached("RELEASE member");
    if (!done.ok()) RollBackMember(*conn);
    return done;
  }

  Result<std::unique_ptr<Tx>> Begin(TxMode mode) override {
    if (mode != TxMode::kRead) {  // kScoreWrite too: SQLite has one writer
      KLOZEO_ASSIGN_OR_RETURN(Pool::Writer w, pool_.AcquireWriter());
      const bool first = w.group == nullptr;
      if (first) w.group = std::make_shared<Group>();
      // IMMEDIATE takes the write lock up front, so read-then-write transactions (cap checks,
      // dedup) never fail half-way with SQLITE_BUSY (another process may hold it). The group's
      // first member needs no savepoint: rolling it back is a ROLLBACK (and a big first member,
      // an import's batch, spares the savepoint's copy of every page it dirties).
      Status begun = w.conn->RunCached(first ? "BEGIN IMMEDIATE" : "SAVEPOINT member");
      if (!begun.ok()) {
        // Without a transaction open, Leave frees the writer and ends the (new) group.
        (void)pool_.Leave(std::move(w.conn), w.group, false);
        return std::move(begun).error();
      }
      ++w.group->members;
      return std::unique_ptr<Tx>(
          new SqliteTx(&pool_, std::move(w.conn), std::move(w.group), !first));
    }
    KLOZEO_ASSIGN_OR_RETURN(auto conn, pool_.Acquire());
    return std::unique_ptr<Tx>(new SqliteTx(&pool_, std::move(conn), nullptr, false));
  }

  Status Migrate() {
    KLOZEO_TRY(SqlDatabase::Migrate("BEGIN IMMEDIATE"));
    // Planner statistics for tables that lack them or changed a lot (bounded sampling).
    KLOZEO_ASSIGN_OR_RETURN(auto conn, pool_.Borrow());
    return conn->Exec("PRAGMA analysis_limit=1000; PRAGMA optimize=0x10002;");
  }
};

}  // namespace

Result<std::unique_ptr<Database>> OpenDatabase(const Options& options) {
  // Memory statistics take a global mutex on every allocation inside SQLite; we never read
  // them. Must run before SQLite initialises, hence once per process, first.
  static std::once_flag configured;
  std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  auto db = std::make_unique<SqliteDatabase>(options);
  // Processes starting together on a new file race to switch it to WAL and migrate it, and
  // SQLite answers some of those conflicts with SQLITE_BUSY at once: retried for the timeout.
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options.busy_timeout_ms);
  while (true) {
    Status migrated = db->Migrate();
    if (migrated.ok()) break;
    if (migrated.error().code != core::ErrorCode::kUnavailable ||
        std::chrono::steady_clock::now() >= give_up) {
      return std::move(migrated).error();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace klozeo::storage::sqlite
