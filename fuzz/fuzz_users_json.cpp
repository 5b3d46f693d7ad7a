// The usermgmt json store's users.json parser (src/usermgmt/json_store.cpp,
// JsonStore::load), reachable only by opening the store on a file: the
// harness writes the input as users.json in a private temporary directory
// (under $FUZZ_TMPDIR, else on /dev/shm when there is one, so the store's
// fsyncs cost nothing) and opens the store there.
//
// Input: the content of users.json.
//
// Invariants: a file that opens holds users with positive, distinct ids that
// list() returns in id order and get() finds; paging with after_id and limit
// returns the same users; and what the store writes back after a create
// opens again with the same users plus the new one.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

#include "core/log.hpp"
#include "fuzz_support.hpp"
#include "usermgmt/json_store.hpp"
#include "usermgmt/store.hpp"

namespace {

using namespace cloudlet;
namespace fs = std::filesystem;

fs::path& dir() {
  static fs::path d;
  return d;
}

void remove_dir() {
  std::error_code ec;
  fs::remove_all(dir(), ec);
}

void write_file(const fs::path& p, std::string_view content) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  FUZZ_CHECK(out.good());
}

Result<usermgmt::StorePtr> open(const fs::path& file) {
  usermgmt::JsonStoreHooks hooks;
  hooks.fsync_dir = [](int) { return 0; };  // tmpfs: nothing to make durable
  return usermgmt::open_json_store(file, std::move(hooks));
}

std::vector<usermgmt::User> all(usermgmt::Store& store) {
  auto users = store.list({});
  FUZZ_CHECK(users.ok());
  return std::move(*users);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  log::set_level(log::Level::kError);  // one "loaded" line per input otherwise
  // FUZZ_TMPDIR (run.sh sets it inside its own work directory, so that even
  // the directories of crashed runs go away), else /dev/shm, else TMPDIR.
  std::error_code ec;
  const char* chosen = std::getenv("FUZZ_TMPDIR");
  fs::path base = chosen != nullptr && *chosen != '\0' ? fs::path(chosen)
                  : fs::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0
                      ? fs::path("/dev/shm")
                      : fs::temp_directory_path();
  std::string tmpl = (base / "cloudlet-fuzz-users-XXXXXX").string();
  FUZZ_CHECK(::mkdtemp(tmpl.data()) != nullptr);
  dir() = tmpl;
  std::atexit(remove_dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fs::path file = dir() / "users.json";
  std::error_code ec;
  fs::remove(dir() / "users.json.next-id", ec);
  write_file(file, fuzz::bytes(data, size));

  std::vector<usermgmt::User> users;
  {
    auto store = open(file);
    if (!store.ok()) {
      FUZZ_CHECK(store.error().code == ErrorCode::kFailedPrecondition);
      return 0;
    }
    users = all(**store);
    for (std::size_t i = 0; i < users.size(); ++i) {
      FUZZ_CHECK(users[i].id > 0);
      if (i > 0) FUZZ_CHECK(users[i - 1].id < users[i].id);
      auto got = (*store)->get(users[i].id);
      FUZZ_CHECK(got.ok() && *got == users[i]);
    }
    // Two at a time, after the previous page's last id.
    std::vector<usermgmt::User> paged;
    usermgmt::UserQuery q;
    q.limit = 2;
    for (;;) {
      auto page = (*store)->list(q);
      FUZZ_CHECK(page.ok() && page->size() <= 2);
      if (page->empty()) break;
      paged.insert(paged.end(), page->begin(), page->end());
      q.after_id = page->back().id;
    }
    FUZZ_CHECK(paged == users);

    auto valid = usermgmt::validate("fuzz", 1);
    FUZZ_CHECK(valid.ok());
    auto created = (*store)->create(*valid);
    if (!created.ok()) {
      // Only when the largest id left no room for another.
      FUZZ_CHECK(created.error().code == ErrorCode::kResourceExhausted);
      return 0;
    }
    FUZZ_CHECK(users.empty() || created->id > users.back().id);
    users.push_back(*created);
  }
  // What it wrote opens again, with the same users.
  auto reopened = open(file);
  FUZZ_CHECK(reopened.ok());
  FUZZ_CHECK(all(**reopened) == users);
  return 0;
}
