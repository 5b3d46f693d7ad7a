// Temporary directories for the usermgmt tests, removed when the test
// binary exits (kept with CLOUDLET_KEEP_TEST_DIRS=1 for post-mortems).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

namespace cloudlet::usermgmt::testing {

inline std::filesystem::path temp_dir() {
  struct Registry {
    std::mutex mu;
    std::vector<std::filesystem::path> dirs;
    ~Registry() {
      if (std::getenv("CLOUDLET_KEEP_TEST_DIRS") != nullptr) return;
      std::error_code ec;
      for (const auto& d : dirs) std::filesystem::remove_all(d, ec);
    }
  };
  static Registry registry;
  std::string tmpl = (std::filesystem::temp_directory_path() / "cloudlet-usermgmt-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
  std::lock_guard lock(registry.mu);
  registry.dirs.emplace_back(tmpl);
  return tmpl;
}

}  // namespace cloudlet::usermgmt::testing
