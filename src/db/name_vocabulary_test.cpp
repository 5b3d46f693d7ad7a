// The seed's name vocabularies: thousands of distinct names, drawn with a
// skew where a few are common and most are rare.
#include "db/name_vocabulary.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

namespace cloudlet::db {
namespace {

TEST(NameVocabulary, HoldsThousandsOfDistinctNames) {
  for (const auto* v : {&NameVocabulary::first_names(), &NameVocabulary::last_names()}) {
    const auto& names = v->by_rank();
    EXPECT_GE(names.size(), 5000u);
    EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
    for (const auto& name : names) {
      ASSERT_FALSE(name.empty());
      EXPECT_EQ(name.find_first_of("\t\n\\%_"), std::string::npos) << name;
    }
  }
  EXPECT_EQ(NameVocabulary::first_names().by_rank()[1], "Noah");
  EXPECT_EQ(NameVocabulary::last_names().by_rank()[0], "Smith");
}

TEST(NameVocabulary, SharesFollowTheRankLaw) {
  const auto& v = NameVocabulary::first_names();
  double total = 0;
  for (std::size_t r = 0; r < v.by_rank().size(); ++r) total += v.share(r);
  EXPECT_NEAR(total, 1.0, 1e-9);
  // Noah, the benchmark's common search term, is 2-3% of first names.
  EXPECT_GT(v.share(1), 0.02);
  EXPECT_LT(v.share(1), 0.03);
  EXPECT_GT(v.share(0), v.share(1));
  EXPECT_LT(v.share(v.by_rank().size() - 1), 0.0001) << "the tail is rare";
}

TEST(NameVocabulary, DrawsAreSkewedAndDeterministic) {
  const auto& v = NameVocabulary::first_names();
  std::map<std::string_view, int> counts;
  constexpr int kDraws = 200000;
  for (int i = 0; i < kDraws; ++i) ++counts[v.draw(splitmix64(static_cast<std::uint64_t>(i)))];
  double noah = static_cast<double>(counts["Noah"]) / kDraws;
  EXPECT_NEAR(noah, v.share(1), 0.003);
  EXPECT_GT(counts["Olivia"], counts["Pearl"]);
  // Most of the vocabulary is seen, and most names seen are seen rarely.
  EXPECT_GT(counts.size(), v.by_rank().size() * 3 / 4);
  int rare = 0;
  for (const auto& [name, n] : counts) rare += n < 40;  // under 0.02% of draws
  EXPECT_GT(rare, static_cast<int>(counts.size()) / 2);
  EXPECT_EQ(v.draw(12345), v.draw(12345));
  EXPECT_EQ(v.draw(0), "Olivia");
  EXPECT_EQ(v.draw(~std::uint64_t{0}), v.by_rank().back());
}

}  // namespace
}  // namespace cloudlet::db
