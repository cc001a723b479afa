#include "grammar/token_filter.hpp"

#include <algorithm>
#include <numeric>

namespace lowbit::grammar {

TokenVocabulary::TokenVocabulary(const Tokenizer& tok) {
  const int32_t n = tok.n_vocab();
  bytes_.resize(size_t(n));
  eog_.resize(size_t(n));
  for (int32_t id = 0; id < n; ++id) {
    bytes_[size_t(id)] = std::string(tok.token_bytes(id));
    eog_[size_t(id)] = tok.is_eog(id) ? 1 : 0;
    if (!tok.is_special(id) && !bytes_[size_t(id)].empty()) order_.push_back(id);
  }
  std::sort(order_.begin(), order_.end(), [&](int32_t a, int32_t b) { return bytes_[size_t(a)] < bytes_[size_t(b)]; });
  lcp_.resize(order_.size());
  for (size_t i = 1; i < order_.size(); ++i) {
    const std::string &a = bytes_[size_t(order_[i - 1])], &b = bytes_[size_t(order_[i])];
    lcp_[i] = uint32_t(std::mismatch(a.begin(), a.end(), b.begin(), b.end()).first - a.begin());
  }
}

void TokenFilter::allowed(const Matcher& m, const TokenVocabulary& v, std::vector<uint8_t>& allowed) {
  allowed.assign(size_t(v.n_vocab()), 0);
  if (m.is_complete())
    for (int32_t id = 0; id < v.n_vocab(); ++id) allowed[size_t(id)] = v.eog_[size_t(id)];
  if (!m.can_continue()) return;
  if (levels_.empty()) levels_.resize(1);
  levels_[0] = m.state();
  // alive: levels_[0 .. alive-1] hold live states for the current prefix.
  size_t alive = 1;
  for (size_t i = 0; i < v.order_.size(); ++i) {
    const int32_t id = v.order_[i];
    const std::string& b = v.bytes_[size_t(id)];
    const size_t shared = v.lcp_[i];
    if (alive < shared + 1) continue;  // a shared prefix already failed
    alive = shared + 1;
    if (levels_.size() < b.size() + 1) levels_.resize(b.size() + 1);
    bool ok = true;
    for (size_t k = shared; k < b.size(); ++k) {
      if (!m.advance(levels_[k], uint8_t(b[k]), levels_[k + 1])) {
        ok = false;
        break;
      }
      alive = k + 2;
    }
    if (ok) allowed[size_t(id)] = 1;
  }
}

}  // namespace lowbit::grammar
