// The JSON file store (the seed's op3 server).
//
// Durability design: the file is always the complete truth, in the seed's
// format, so the seed's Go server (or `jq`) can read it at any moment.
// Every write replaces it atomically: the new content goes to
// `<file>.tmp`, which is fsync'ed, renamed over `<file>`, and then the
// directory is fsync'ed so the rename itself survives a power loss. Only
// then is the write acknowledged. A crash at any point leaves either the old
// or the new file, never a torn one.
//
// Rewriting the whole file costs O(users) per write, so writes are batched
// (group commit): writers queue their change under the mutex; one of them
// becomes the leader, takes the whole queue, builds the next state from the
// committed one, writes and syncs it without holding the mutex, then
// publishes it and wakes the batch. Concurrent CreateNewUser calls therefore
// share one fsync and never overwrite each other's update. A change that
// fails to reach the disk (ENOSPC, EIO) is not applied and its caller gets
// kUnavailable; the file still holds the last acknowledged state.
//
// The rename is the point of no return: once it succeeded, readers see the
// new file, so `committed_` becomes the new state even if the directory
// fsync that follows fails. Otherwise the next batch would be built from the
// old state and silently drop the users of this one. Its callers then get
// kDeadlineExceeded ("outcome unknown": the change is in the file but may not
// survive a power loss), never kUnavailable, which promises "not applied";
// health stays NOT_SERVING until a later write's own directory fsync
// succeeds, which makes the newest file, and so every change in it, durable.
//
// An append log compacted into this format would make a single write
// cheaper, but then the file lags behind the log and the seed's server
// would read stale data; at the lab's scale (thousands of users) the
// rewrite plus group commit is fast enough and much simpler to trust.
//
// Ids never repeat: they continue after the largest id in the file, and
// when a batch deletes users `<file>.next-id` records the next id first
// (so deleting the newest user and restarting does not hand its id out
// again); the seed's format has no room for it in users.json itself.
//
// Safety at start: a file that cannot be read or parsed, holds unknown
// fields, or has duplicate or non-positive ids is refused with a clear
// message and left untouched. One process at a time: `<file>.lock` is held
// with flock(2) for the store's lifetime.
#include "usermgmt/json_store.hpp"

#include <fcntl.h>
#include <google/protobuf/util/json_util.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <mutex>

#include "core/log.hpp"
#include "usermgmt.pb.h"
#include "usermgmt/store.hpp"

namespace cloudlet::usermgmt {

namespace {

namespace fs = std::filesystem;

std::string errno_text(int err) { return std::strerror(err); }

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

Status write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::unavailable(errno_text(errno));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<std::string> read_all(const fs::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Error{ErrorCode::kFailedPrecondition, errno_text(errno), {}};
  std::string out;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error{ErrorCode::kFailedPrecondition, errno_text(errno), {}};
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

// Written by hand rather than from ::usermgmt::UsersList, whose cloudlet-only
// next_page_token would appear in the file and make the seed's strict
// protojson reader reject it. Every key is written, "age":0 included, as in
// the seed's example file; Boost.JSON escapes strings as JSON requires.
std::string to_json(const std::map<std::int32_t, User>& users) {
  boost::json::array list;
  list.reserve(users.size());
  for (const auto& [id, user] : users) {
    list.push_back(boost::json::object{{"name", user.name}, {"age", user.age}, {"id", id}});
  }
  std::string out = boost::json::serialize(boost::json::object{{"users", std::move(list)}});
  out.push_back('\n');
  return out;
}

class JsonStore final : public Store {
 public:
  static Result<StorePtr> open(const fs::path& path, JsonStoreHooks hooks) {
    auto store = std::unique_ptr<JsonStore>(new JsonStore(path, std::move(hooks)));
    if (Status s = store->load(); !s.ok()) return s.error();
    return StorePtr(std::move(store));
  }

  Result<User> create(const ValidNewUser& user) override {
    std::unique_lock lock(mu_);
    if (next_id_ == std::numeric_limits<std::int32_t>::max()) {
      return Error{ErrorCode::kResourceExhausted, "user ids are exhausted", {}};
    }
    // The id is taken even if the write fails, so ids never repeat.
    Op op{Op::kCreate, User{next_id_++, user.name(), user.age()}, false, std::nullopt};
    return commit(lock, op);
  }

  Result<User> get(std::int32_t id) override {
    std::lock_guard lock(mu_);
    auto it = committed_.find(id);
    if (it == committed_.end()) return Error::not_found("no user with id " + std::to_string(id));
    return it->second;
  }

  Result<User> remove(std::int32_t id) override {
    std::unique_lock lock(mu_);
    if (!committed_.contains(id)) return Error::not_found("no user with id " + std::to_string(id));
    Op op{Op::kRemove, User{id, {}, 0}, false, std::nullopt};
    return commit(lock, op);
  }

  Result<std::vector<User>> list(const UserQuery& query) override {
    std::lock_guard lock(mu_);
    std::vector<User> out;
    for (auto it = committed_.upper_bound(query.after_id); it != committed_.end(); ++it) {
      if (!matches(query, it->second)) continue;
      out.push_back(it->second);
      if (query.limit != 0 && out.size() == query.limit) break;
    }
    return out;
  }

  Status health() override {
    std::lock_guard lock(mu_);
    if (!last_write_error_.empty()) return Error::unavailable(last_write_error_);
    return {};
  }

 private:
  struct Op {
    enum Kind { kCreate, kRemove } kind;
    User user;  // kCreate: the new user; kRemove: the id in, the removed user out
    bool done = false;
    std::optional<Error> error;
  };

  // The outcome of replacing a file: `status` is ok only when the new
  // content is durable; `in_place` is true once the rename succeeded, i.e.
  // readers (and a restart without a power loss) see the new content.
  struct Written {
    Status status;
    bool in_place = false;
  };

  JsonStore(fs::path path, JsonStoreHooks hooks)
      : path_(std::move(path)),
        tmp_path_(path_.string() + ".tmp"),
        lock_path_(path_.string() + ".lock"),
        next_id_path_(path_.string() + ".next-id"),
        fsync_dir_(hooks.fsync_dir ? std::move(hooks.fsync_dir)
                                   : std::function<int(int)>([](int fd) { return ::fsync(fd); })) {}

  Status load() {
    fs::path dir = path_.parent_path().empty() ? fs::path(".") : path_.parent_path();
    dir_fd_ = Fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir_fd_.valid()) {
      return Error::unavailable("json store: cannot open the directory " + dir.string() + ": " +
                                errno_text(errno));
    }
    lock_fd_ = Fd(::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!lock_fd_.valid()) {
      return Error::unavailable("json store: cannot create " + lock_path_.string() + ": " +
                                errno_text(errno));
    }
    if (::flock(lock_fd_.get(), LOCK_EX | LOCK_NB) != 0) {
      return Error{ErrorCode::kFailedPrecondition,
                   "json store: " + path_.string() + " is in use by another process (" +
                       lock_path_.string() + " is locked)",
                   {}};
    }
    // A temp file is only ever a write that was never acknowledged.
    std::error_code ec;
    fs::remove(tmp_path_, ec);

    if (!fs::exists(path_, ec)) {
      if (Written w = write_snapshot(committed_); !w.status.ok()) return w.status;
      log::info("usermgmt.json.created", {{"path", path_.string()}});
      return {};
    }
    auto text = read_all(path_);
    if (!text.ok()) {
      return Error{ErrorCode::kFailedPrecondition,
                   "json store: cannot read " + path_.string() + ": " + text.error().message,
                   {}};
    }
    auto refuse = [&](const std::string& why) {
      return Error{ErrorCode::kFailedPrecondition,
                   "json store: " + path_.string() + " is not a valid users file (" + why +
                       "); refusing to start so that it is not overwritten; repair or move it away",
                   {}};
    };
    ::usermgmt::UsersList list;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;  // a misspelt key must not read as "no users"
    if (auto s = google::protobuf::util::JsonStringToMessage(*text, &list, options); !s.ok()) {
      return refuse(std::string(s.message()));
    }
    for (const auto& u : list.users()) {
      if (u.id() <= 0)
        return refuse("user \"" + u.name() + "\" has id " + std::to_string(u.id()) +
                      "; ids must be positive");
      if (!committed_.emplace(u.id(), User{u.id(), u.name(), u.age()}).second) {
        return refuse("id " + std::to_string(u.id()) + " appears more than once");
      }
    }
    // The largest id may be the largest int32 (found by fuzz_users_json):
    // then ids are exhausted, which create() reports, instead of wrapping.
    if (!committed_.empty()) {
      const std::int32_t last = committed_.rbegin()->first;
      next_id_ = last == std::numeric_limits<std::int32_t>::max() ? last : last + 1;
    }
    if (auto recorded = read_all(next_id_path_); recorded.ok()) {
      std::int32_t n = 0;
      auto parsed = std::from_chars(recorded->data(), recorded->data() + recorded->size(), n);
      if (parsed.ec == std::errc() && n > next_id_) next_id_ = n;
    }
    log::info("usermgmt.json.loaded", {{"path", path_.string()}, {"users", committed_.size()}});
    return {};
  }

  // Queues `op` and returns once a snapshot containing it is durable (or
  // failed). Called with `lock` held; see the file comment.
  Result<User> commit(std::unique_lock<std::mutex>& lock, Op& op) {
    queue_.push_back(&op);
    while (!op.done) {
      if (flushing_) {
        flushed_.wait(lock);
        continue;
      }
      flushing_ = true;
      std::vector<Op*> batch;
      batch.swap(queue_);
      std::map<std::int32_t, User> next = committed_;
      bool removes = false;
      std::int32_t next_id = next_id_;
      for (Op* o : batch) {
        removes = removes || o->kind == Op::kRemove;
        if (o->kind == Op::kCreate) {
          next.emplace(o->user.id, o->user);
        } else if (auto it = next.find(o->user.id); it == next.end()) {
          o->error = Error::not_found("no user with id " + std::to_string(o->user.id));
        } else {
          o->user = std::move(it->second);
          next.erase(it);
        }
      }
      lock.unlock();
      Written written;
      if (removes) {
        // Only users.json decides what is applied: if this fails, even after
        // its rename, the batch is not applied (a higher next-id is harmless).
        Written id_file = write_atomically(next_id_path_, std::to_string(next_id) + "\n");
        if (!id_file.status.ok()) {
          written.status = Error::unavailable(id_file.status.error().message);
        }
      }
      if (written.status.ok()) written = write_snapshot(next);
      lock.lock();
      // The file and committed_ never disagree: after the rename the file
      // holds `next`, whether or not the directory fsync succeeded.
      if (written.in_place) committed_ = std::move(next);
      if (written.status.ok()) {
        last_write_error_.clear();
      } else {
        last_write_error_ = written.status.error().message;
        log::error("usermgmt.json.write_failed", {{"path", path_.string()},
                                                  {"error", written.status.error().message},
                                                  {"applied", written.in_place}});
      }
      for (Op* o : batch) {
        if (!written.status.ok() && !o->error) o->error = written.status.error();
        o->done = true;
      }
      flushing_ = false;
      flushed_.notify_all();
    }
    if (op.error) return *op.error;
    return op.user;
  }

  // Writes `users` to the temp file, syncs it, renames it over the file and
  // syncs the directory. kUnavailable (with errno's text) on a failure before
  // the rename: nothing changed. kDeadlineExceeded with `in_place` when only
  // the directory fsync failed: the file holds the new content, which may
  // not survive a power loss.
  Written write_snapshot(const std::map<std::int32_t, User>& users) {
    return write_atomically(path_, to_json(users));
  }

  Written write_atomically(const fs::path& target, const std::string& json) {
    auto fail = [&](const char* step) {
      int err = errno;
      std::error_code ec;
      fs::remove(tmp_path_, ec);
      return Written{Error::unavailable("json store: " + std::string(step) + " " +
                                        tmp_path_.string() + ": " + errno_text(err)),
                     false};
    };
    Fd fd(::open(tmp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd.valid()) return fail("cannot create");
    if (Status s = write_all(fd.get(), json); !s.ok()) {
      errno = 0;
      std::error_code ec;
      fs::remove(tmp_path_, ec);
      return Written{Error::unavailable("json store: cannot write " + tmp_path_.string() + ": " +
                                        s.error().message),
                     false};
    }
    if (::fsync(fd.get()) != 0) return fail("cannot fsync");
    fd.reset();
    if (::rename(tmp_path_.c_str(), target.c_str()) != 0) return fail("cannot rename");
    if (fsync_dir_(dir_fd_.get()) != 0) {
      return Written{Error{ErrorCode::kDeadlineExceeded,
                           "json store: outcome unknown: " + target.string() +
                               " holds the change, but the directory fsync failed (" +
                               errno_text(errno) + "), so it may not survive a power loss",
                           {}},
                     true};
    }
    return Written{{}, true};
  }

  const fs::path path_;
  const fs::path tmp_path_;
  const fs::path lock_path_;
  const fs::path next_id_path_;
  const std::function<int(int)> fsync_dir_;
  Fd dir_fd_;
  Fd lock_fd_;

  std::mutex mu_;
  std::condition_variable flushed_;
  std::map<std::int32_t, User> committed_;  // guarded by mu_: what the file holds
  std::vector<Op*> queue_;                  // guarded by mu_: changes waiting for a leader
  bool flushing_ = false;                   // guarded by mu_: a leader is writing
  std::int32_t next_id_ = 1;                // guarded by mu_
  std::string last_write_error_;            // guarded by mu_: empty after a good write
};

}  // namespace

Result<StorePtr> open_json_store(const std::filesystem::path& path) {
  return JsonStore::open(path, {});
}

Result<StorePtr> open_json_store(const std::filesystem::path& path, JsonStoreHooks hooks) {
  return JsonStore::open(path, std::move(hooks));
}

}  // namespace cloudlet::usermgmt
