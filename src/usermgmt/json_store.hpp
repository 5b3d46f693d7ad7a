// A test seam for the JSON store (json_store.cpp): open_json_store()
// (store.hpp) with the directory fsync replaceable, so a test can make it
// fail after the rename, a failure no real file system produces on demand.
// Production code calls the one-argument open_json_store().
#pragma once

#include <filesystem>
#include <functional>

#include "usermgmt/store.hpp"

namespace cloudlet::usermgmt {

struct JsonStoreHooks {
  // fsync(2) of the directory that holds the file: returns 0, or -1 with
  // errno set. Empty means ::fsync.
  std::function<int(int dir_fd)> fsync_dir;
};

Result<StorePtr> open_json_store(const std::filesystem::path& path, JsonStoreHooks hooks);

}  // namespace cloudlet::usermgmt
