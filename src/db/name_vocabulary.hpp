// The names `cloudlet db seed` draws from: thousands of first and last names
// with the skew of real populations, so that a benchmark search is as common
// or as rare as a user's would be.
//
// Each vocabulary is a head of real names followed by a long tail of names
// built from syllables, ranked in a fixed pseudo-random order. A name of rank
// r (1-based) is drawn with probability proportional to 1 / (r + 3): a
// Zipf-like law where the most common first name is about 3.5% of the rows,
// the second (Noah) about 2.8%, rank 100 about 0.14% and the rarest a few
// in 100,000. Pure and deterministic: the same draw gives the same name on
// every machine.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cloudlet::db {

// splitmix64's finaliser: spreads a counter or seed into well-mixed bits.
// The generated data's one source of randomness (seed rows, name ranks).
inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class NameVocabulary {
 public:
  // The first-name and last-name vocabularies (built once, then shared).
  static const NameVocabulary& first_names();
  static const NameVocabulary& last_names();

  // The name a uniformly random 64-bit value draws.
  std::string_view draw(std::uint64_t random) const;

  // Names by rank, most common first, and the share of draws of rank `rank`.
  const std::vector<std::string>& by_rank() const { return names_; }
  double share(std::size_t rank) const;

 private:
  explicit NameVocabulary(std::vector<std::string> names);

  std::vector<std::string> names_;
  std::vector<double> cumulative_;  // cumulative_[i] = total weight of ranks 0..i
};

}  // namespace cloudlet::db
