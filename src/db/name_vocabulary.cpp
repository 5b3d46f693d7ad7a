#include "db/name_vocabulary.hpp"

#include <algorithm>
#include <array>
#include <unordered_set>
#include <utility>

namespace cloudlet::db {

namespace {

// The common head, most common first; the seed lab's three contacts are in
// it, so their names also turn up in generated data.
constexpr std::array<std::string_view, 40> kRealFirstNames = {
    "Olivia", "Noah",     "Liam",   "Emma",   "Oliver", "Ava",     "Elijah", "Sophia",
    "Mateo",  "Isabella", "Lucas",  "Mia",    "Amelia", "Wei",     "Priya",  "José",
    "Ana",    "Omar",     "Fatima", "Arjun",  "Mei",    "Hiroshi", "Yuki",   "Giulia",
    "Marco",  "Lena",     "Jonas",  "Ingrid", "Dmitri", "Olga",    "Kwame",  "Ama",
    "Chloé",  "Zoë",      "Søren",  "Aoife",  "Seán",   "Adele",   "Blair",  "Pearl"};
constexpr std::array<std::string_view, 40> kRealLastNames = {
    "Smith",     "Johnson",  "Williams",  "Brown",   "Jones",    "Garcia",   "Miller",   "Davis",
    "Rodriguez", "Martinez", "Hernandez", "Lopez",   "Gonzalez", "Wilson",   "Anderson", "Thomas",
    "Taylor",    "Moore",    "Jackson",   "Martin",  "Lee",      "Pérez",    "Singh",    "Kumar",
    "Tanaka",    "Nakamura", "Müller",    "Schmidt", "Rossi",    "Nowak",    "Kowalski", "Bianchi",
    "Murphy",    "O'Brien",  "Andersen",  "Nielsen", "Okafor",   "Thompson", "Rampsey",  "Gales"};

// Syllables for the tail: start + end, or start + middle + end.
constexpr std::array<std::string_view, 24> kFirstStarts = {
    "Ka", "Lo", "Mi", "Sa", "Ta", "Ri", "El", "An", "Jo", "Ma", "Na", "Be",
    "Da", "Fe", "Ga", "Ha", "Is", "Le", "Ne", "Ra", "Se", "Ti", "Va", "Ze"};
constexpr std::array<std::string_view, 10> kFirstMiddles = {"ri", "la", "no", "ve", "si",
                                                            "ta", "mo", "de", "li", "ka"};
constexpr std::array<std::string_view, 20> kFirstEnds = {
    "na", "ra", "lia", "den", "ron", "ssa", "vin", "mir", "lo", "ne",
    "ko", "ya", "tha", "bel", "rin", "dor", "win", "sha", "mi", "lan"};
constexpr std::array<std::string_view, 30> kLastStarts = {
    "Ash",   "Bel", "Car", "Dal", "Eck",   "Fair",  "Gar",  "Hol",   "Ing",   "Kess",
    "Lind",  "Mar", "Nor", "Oak", "Pen",   "Quin",  "Ros",  "Sted",  "Thorn", "Ul",
    "Vance", "Wex", "Yar", "Zel", "Brook", "Crane", "Drum", "Frost", "Hart",  "Mor"};
constexpr std::array<std::string_view, 12> kLastMiddles = {"a",  "e",  "i",  "o",  "en", "er",
                                                           "in", "ow", "an", "el", "is", "ur"};
constexpr std::array<std::string_view, 20> kLastEnds = {
    "son", "berg", "ford", "ton",   "wick", "ley",  "man", "ski", "ez",  "ov",
    "ini", "ard",  "holm", "stead", "more", "well", "by",  "ham", "den", "rick"};

template <std::size_t S, std::size_t M, std::size_t E>
std::vector<std::string> vocabulary(const std::array<std::string_view, 40>& head,
                                    const std::array<std::string_view, S>& starts,
                                    const std::array<std::string_view, M>& middles,
                                    const std::array<std::string_view, E>& ends,
                                    std::uint64_t salt) {
  std::vector<std::string> names(head.begin(), head.end());
  std::unordered_set<std::string> seen(names.begin(), names.end());
  std::vector<std::string> tail;
  auto add = [&](std::string name) {
    if (seen.insert(name).second) tail.push_back(std::move(name));
  };
  for (auto start : starts) {
    for (auto end : ends) add(std::string(start) + std::string(end));
    for (auto middle : middles)
      for (auto end : ends) add(std::string(start) + std::string(middle) + std::string(end));
  }
  // Rank the tail in a fixed pseudo-random order, so rarity has nothing to
  // do with the alphabet (Fisher-Yates on a counter-driven stream).
  for (std::size_t i = tail.size(); i > 1; --i)
    std::swap(tail[i - 1], tail[splitmix64(salt ^ i) % i]);
  names.insert(names.end(), std::make_move_iterator(tail.begin()),
               std::make_move_iterator(tail.end()));
  return names;
}

constexpr double kRankOffset = 3.0;  // weight of rank r is 1 / (r + kRankOffset)

}  // namespace

NameVocabulary::NameVocabulary(std::vector<std::string> names) : names_(std::move(names)) {
  cumulative_.reserve(names_.size());
  double total = 0;
  for (std::size_t i = 0; i < names_.size(); ++i) {
    total += 1.0 / (static_cast<double>(i + 1) + kRankOffset);
    cumulative_.push_back(total);
  }
}

const NameVocabulary& NameVocabulary::first_names() {
  static const NameVocabulary v(
      vocabulary(kRealFirstNames, kFirstStarts, kFirstMiddles, kFirstEnds, 0x66697273ULL));
  return v;
}

const NameVocabulary& NameVocabulary::last_names() {
  static const NameVocabulary v(
      vocabulary(kRealLastNames, kLastStarts, kLastMiddles, kLastEnds, 0x6c617374ULL));
  return v;
}

std::string_view NameVocabulary::draw(std::uint64_t random) const {
  // 53 random bits give a uniform double in [0, 1); scale it to the total weight.
  double point = static_cast<double>(random >> 11) * 0x1.0p-53 * cumulative_.back();
  auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), point);
  auto rank = std::min(static_cast<std::size_t>(it - cumulative_.begin()), names_.size() - 1);
  return names_[rank];
}

double NameVocabulary::share(std::size_t rank) const {
  double before = rank == 0 ? 0.0 : cumulative_[rank - 1];
  return (cumulative_[rank] - before) / cumulative_.back();
}

}  // namespace cloudlet::db
