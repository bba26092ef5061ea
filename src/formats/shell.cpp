#include "formats/shell.hpp"

#include <algorithm>
#include <cctype>

namespace iotaudit::formats {

namespace {

constexpr std::size_t kMaxWord = 4096;
constexpr std::size_t kMaxWords = 256;
constexpr std::size_t kMaxText = 240;

bool name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

bool is_assignment(std::string_view w) {
  auto eq = w.find('=');
  if (eq == std::string_view::npos || eq == 0 || !name_start(w[0])) return false;
  return std::all_of(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(eq), name_char);
}

bool is_control_word(std::string_view w) {
  static constexpr std::string_view kWords[] = {"if", "then", "else", "elif", "fi", "while", "until",
                                                "do", "done", "!", "{", "}", "time", "esac", "(", ")"};
  return std::find(std::begin(kWords), std::end(kWords), w) != std::end(kWords);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Tokenizer shared by parse_shell and split_words.
class Lexer {
 public:
  Lexer(std::string_view text, const std::map<std::string, std::string>* vars) : s_(text), vars_(vars) {}

  enum class Tok { word, newline, semi, dsemi, amp, andand, oror, pipe, end };

  // Reads the next token; a word's text is in word().
  Tok next() {
    word_.clear();
    quoted_ = false;
    // Skip blanks and comments; a backslash-newline is a blank.
    for (;;) {
      if (i_ >= s_.size()) return Tok::end;
      char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\r') {
        ++i_;
      } else if (c == '\\' && i_ + 1 < s_.size() && s_[i_ + 1] == '\n') {
        i_ += 2;
        ++line_;
      } else if (c == '#') {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
      } else {
        break;
      }
    }
    start_line_ = line_;
    char c = s_[i_];
    if (c == '\n') {
      ++i_;
      ++line_;
      return Tok::newline;
    }
    auto two = [&](char d) { return i_ + 1 < s_.size() && s_[i_ + 1] == d; };
    if (c == ';') {
      if (two(';')) {
        i_ += 2;
        return Tok::dsemi;
      }
      ++i_;
      return Tok::semi;
    }
    if (c == '&') {
      if (two('&')) {
        i_ += 2;
        return Tok::andand;
      }
      ++i_;
      return Tok::amp;
    }
    if (c == '|') {
      if (two('|')) {
        i_ += 2;
        return Tok::oror;
      }
      ++i_;
      return Tok::pipe;
    }
    read_word();
    return Tok::word;
  }

  const std::string& word() const { return word_; }
  bool quoted() const { return quoted_; }
  std::uint64_t token_line() const { return start_line_; }
  std::size_t pos() const { return i_; }

 private:
  void put(char c) {
    if (word_.size() < kMaxWord) word_.push_back(c);
  }
  void put(std::string_view v) {
    for (char c : v) put(c);
  }

  // Copies a $(...) or `...` substitution literally (it is not run), tracking nesting.
  void copy_substitution() {
    if (s_[i_] == '`') {
      put(s_[i_++]);
      while (i_ < s_.size() && s_[i_] != '`') {
        if (s_[i_] == '\n') ++line_;
        put(s_[i_++]);
      }
      if (i_ < s_.size()) put(s_[i_++]);
      return;
    }
    // at "$("
    int depth = 0;
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '\n') ++line_;
      put(c);
      if (c == '(') ++depth;
      if (c == ')' && --depth <= 0) return;
    }
  }

  void expand_dollar() {
    // at '$'
    if (i_ + 1 < s_.size() && s_[i_ + 1] == '(') {
      copy_substitution();
      return;
    }
    if (i_ + 1 < s_.size() && s_[i_ + 1] == '{') {
      std::size_t close = s_.find('}', i_ + 2);
      if (close == std::string_view::npos || close - i_ > 512) {
        put(s_[i_++]);
        return;
      }
      std::string_view inner = s_.substr(i_ + 2, close - i_ - 2);
      std::size_t n = 0;
      while (n < inner.size() && name_char(inner[n])) ++n;
      std::string_view name = inner.substr(0, n), rest = inner.substr(n);
      const std::string* known = lookup(name);
      if (known && (rest.empty() || rest.starts_with(":-") || rest.starts_with("-"))) {
        put(*known);
      } else if (!known && (rest.starts_with(":-") || rest.starts_with("-"))) {
        put(rest.substr(rest.starts_with(":-") ? 2 : 1));
      } else {
        put(s_.substr(i_, close + 1 - i_));
      }
      i_ = close + 1;
      return;
    }
    if (i_ + 1 < s_.size() && name_start(s_[i_ + 1])) {
      std::size_t j = i_ + 1;
      while (j < s_.size() && name_char(s_[j])) ++j;
      std::string_view name = s_.substr(i_ + 1, j - i_ - 1);
      if (const std::string* known = lookup(name))
        put(*known);
      else
        put(s_.substr(i_, j - i_));
      i_ = j;
      return;
    }
    put(s_[i_++]);
  }

  const std::string* lookup(std::string_view name) const {
    if (vars_ == nullptr) return nullptr;
    auto it = vars_->find(std::string(name));
    return it == vars_->end() ? nullptr : &it->second;
  }

  void read_word() {
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '&' || c == '|') return;
      if (c == '\\') {
        if (i_ + 1 < s_.size() && s_[i_ + 1] == '\n') {
          i_ += 2;
          ++line_;
          continue;
        }
        if (i_ + 1 < s_.size()) put(s_[i_ + 1]);
        i_ += 2;
        continue;
      }
      if (c == '\'') {
        quoted_ = true;
        std::size_t close = s_.find('\'', i_ + 1);
        if (close == std::string_view::npos) close = s_.size();
        std::string_view body = s_.substr(i_ + 1, close - i_ - 1);
        line_ += static_cast<std::uint64_t>(std::count(body.begin(), body.end(), '\n'));
        put(body);
        i_ = close + 1;
        continue;
      }
      if (c == '"') {
        quoted_ = true;
        ++i_;
        while (i_ < s_.size() && s_[i_] != '"') {
          char d = s_[i_];
          if (d == '\\' && i_ + 1 < s_.size() &&
              (s_[i_ + 1] == '"' || s_[i_ + 1] == '\\' || s_[i_ + 1] == '$' || s_[i_ + 1] == '`')) {
            put(s_[i_ + 1]);
            i_ += 2;
          } else if (d == '$') {
            expand_dollar();
          } else if (d == '`') {
            copy_substitution();
          } else {
            if (d == '\n') ++line_;
            put(d);
            ++i_;
          }
        }
        ++i_;
        continue;
      }
      if (c == '$') {
        expand_dollar();
        continue;
      }
      if (c == '`') {
        copy_substitution();
        continue;
      }
      put(c);
      ++i_;
    }
  }

  std::string_view s_;
  const std::map<std::string, std::string>* vars_;
  std::size_t i_ = 0;
  std::uint64_t line_ = 1, start_line_ = 1;
  std::string word_;
  bool quoted_ = false;
};

}  // namespace

ShellScript parse_shell(std::string_view text, std::size_t max_commands) {
  ShellScript out;
  Lexer lx(text, &out.assignments);
  std::vector<std::string> words;
  std::uint64_t cmd_line = 0;
  std::size_t cmd_start = 0;
  int case_depth = 0;
  bool expect_case_label = false;
  std::string label, function;
  int fn_braces = 0;
  int cond_depth = 0;        // open if/while/until blocks
  bool after_andor = false;  // the previous separator was && or ||
  bool join_next = false;    // the next word continues a case pattern ("a|b)")

  auto flush = [&](bool background, std::size_t end_pos) {
    if (words.empty()) return;
    std::vector<std::string> w = std::move(words);
    words.clear();
    std::string_view raw = text.substr(cmd_start, std::min(end_pos, text.size()) - cmd_start);
    // case labels: "start)" or "start|restart)" or "(start)"
    if (case_depth > 0 && expect_case_label && !w.empty() && w[0].size() > 1 && w[0].back() == ')' &&
        w[0].find('(') == std::string::npos) {
      label = w[0].substr(w[0].front() == '(' ? 1 : 0);
      label.pop_back();
      w.erase(w.begin());
      expect_case_label = false;
    }
    // function definitions: "name()" "{" or "name" "()" "{"
    if (!w.empty() && function.empty()) {
      std::string fname;
      if (w[0].size() > 2 && w[0].ends_with("()")) {
        fname = w[0].substr(0, w[0].size() - 2);
        w.erase(w.begin());
      } else if (w.size() >= 2 && w[1] == "()") {
        fname = w[0];
        w.erase(w.begin(), w.begin() + 2);
      } else if (w.size() >= 2 && w[0] == "function") {
        fname = w[1];
        if (fname.ends_with("()")) fname.resize(fname.size() - 2);
        w.erase(w.begin(), w.begin() + 2);
      }
      if (!fname.empty()) {
        function = fname;
        fn_braces = 0;
        if (out.functions.size() < 1024) out.functions.push_back(fname);
      }
    }
    // Leading control words; braces count for function bodies.
    while (!w.empty() && is_control_word(w[0])) {
      if (!function.empty() && w[0] == "{") ++fn_braces;
      if (!function.empty() && w[0] == "}" && --fn_braces <= 0) function.clear();
      if (w[0] == "if" || w[0] == "while" || w[0] == "until") ++cond_depth;
      if ((w[0] == "fi" || w[0] == "done") && cond_depth > 0) --cond_depth;
      if (w[0] == "esac" && case_depth > 0) {
        --case_depth;
        label.clear();
        expect_case_label = case_depth > 0;
      }
      w.erase(w.begin());
    }
    if (w.empty()) return;
    if (w[0] == "case") {
      ++case_depth;
      expect_case_label = true;
      label.clear();
      return;
    }
    if (w[0] == "for" || w[0] == "select") return;
    while (!w.empty() && (w.back() == ")" || w.back() == "(")) w.pop_back();
    if (w.empty()) return;
    // Trailing "}" closing a one-line function body.
    if (!function.empty() && w.back() == "}") {
      w.pop_back();
      if (--fn_braces <= 0) function.clear();
      if (w.empty()) return;
    }
    if (std::all_of(w.begin(), w.end(), [](const std::string& x) { return is_assignment(x); })) {
      if (function.empty() && case_depth == 0) {
        for (const auto& a : w) {
          auto eq = a.find('=');
          out.assignments[a.substr(0, eq)] = a.substr(eq + 1);
        }
      }
      return;
    }
    if (out.commands.size() >= max_commands) {
      out.truncated = true;
      return;
    }
    ShellCommand c;
    c.words = std::move(w);
    c.line = cmd_line;
    c.background = background;
    c.case_label = label;
    c.function = function;
    c.conditional = cond_depth > 0 || after_andor;
    c.text = std::string(trim(raw.substr(0, std::min(raw.size(), kMaxText))));
    out.commands.push_back(std::move(c));
  };

  for (;;) {
    std::size_t before = lx.pos();
    auto tok = lx.next();
    if (tok == Lexer::Tok::word) {
      if (words.empty()) {
        cmd_line = lx.token_line();
        // the word starts after the skipped blanks
        cmd_start = before;
        while (cmd_start < text.size() && (text[cmd_start] == ' ' || text[cmd_start] == '\t')) ++cmd_start;
      }
      if (join_next && !words.empty()) {
        words.back() += lx.word();
        join_next = false;
      } else if (words.size() < kMaxWords) {
        words.push_back(lx.word());
      }
      continue;
    }
    // "start|restart)": alternatives of a case pattern, not a pipeline.
    if (tok == Lexer::Tok::pipe && case_depth > 0 && expect_case_label && words.size() == 1 &&
        !words[0].ends_with(")")) {
      words[0] += "|";
      join_next = true;
      continue;
    }
    join_next = false;
    std::size_t end = before;
    // A command's own separator decides its background flag; whether it runs conditionally was
    // decided by the separator before it.
    if (tok == Lexer::Tok::amp) {
      flush(true, end);
    } else if (tok == Lexer::Tok::dsemi) {
      flush(false, end);
      label.clear();
      expect_case_label = case_depth > 0;
    } else {
      flush(false, end);
      if (tok == Lexer::Tok::newline && case_depth > 0 && label.empty()) expect_case_label = true;
    }
    after_andor = tok == Lexer::Tok::andand || tok == Lexer::Tok::oror;
    if (tok == Lexer::Tok::end || out.truncated) break;
  }
  return out;
}

std::vector<std::string> split_words(std::string_view text, std::size_t max_words) {
  std::vector<std::string> out;
  Lexer lx(text, nullptr);
  for (;;) {
    auto tok = lx.next();
    if (tok == Lexer::Tok::end) break;
    if (tok == Lexer::Tok::word) {
      if (out.size() >= max_words) break;
      out.push_back(lx.word());
    } else {
      // an operator: keep it as a word so callers see where the command ends
      static constexpr const char* kOps[] = {"", "\n", ";", ";;", "&", "&&", "||", "|", ""};
      out.emplace_back(kOps[static_cast<int>(tok)]);
    }
  }
  return out;
}

std::vector<InittabEntry> parse_inittab(std::string_view text, std::size_t max_entries) {
  std::vector<InittabEntry> out;
  for_each_line(text, [&](std::string_view line, std::uint64_t no) {
    std::string_view l = trim(line);
    if (l.empty() || l.front() == '#') return true;
    std::size_t a = l.find(':');
    if (a == std::string_view::npos) return true;
    std::size_t b = l.find(':', a + 1);
    if (b == std::string_view::npos) return true;
    std::size_t c = l.find(':', b + 1);
    if (c == std::string_view::npos) return true;
    InittabEntry e;
    e.id = std::string(trim(l.substr(0, a)));
    e.runlevels = std::string(trim(l.substr(a + 1, b - a - 1)));
    e.action = std::string(trim(l.substr(b + 1, c - b - 1)));
    e.process = std::string(trim(l.substr(c + 1)));
    e.line = no;
    out.push_back(std::move(e));
    return out.size() < max_entries;
  });
  return out;
}

std::vector<InetdEntry> parse_inetd(std::string_view text, std::size_t max_entries) {
  std::vector<InetdEntry> out;
  for_each_line(text, [&](std::string_view line, std::uint64_t no) {
    std::string_view l = trim(line);
    if (l.empty() || l.front() == '#') return true;
    auto w = split_words(l, 64);
    if (w.size() < 6) return true;
    InetdEntry e;
    e.service = w[0];
    e.socket_type = w[1];
    e.protocol = w[2];
    e.wait = w[3];
    e.user = w[4];
    e.server = w[5];
    e.args.assign(w.begin() + 6, w.end());
    e.line = no;
    out.push_back(std::move(e));
    return out.size() < max_entries;
  });
  return out;
}

std::vector<ConfEntry> parse_conf(std::string_view text, std::size_t max_entries) {
  std::vector<ConfEntry> out;
  std::string section;
  for_each_line(text, [&](std::string_view line, std::uint64_t no) {
    std::string_view l = trim(line);
    if (l.empty() || l.front() == '#' || l.front() == ';') return true;
    if (l.front() == '[' && l.back() == ']') {
      section = std::string(trim(l.substr(1, l.size() - 2)));
      out.push_back(ConfEntry{section, "", "", no});
      return out.size() < max_entries;
    }
    std::size_t eq = l.find('=');
    std::size_t sp = l.find_first_of(" \t");
    std::string_view key, value;
    if (eq != std::string_view::npos && (sp == std::string_view::npos || eq < sp ||
                                         trim(l.substr(sp, eq - sp)).empty())) {
      key = trim(l.substr(0, eq));
      value = trim(l.substr(eq + 1));
    } else if (sp != std::string_view::npos) {
      key = l.substr(0, sp);
      value = trim(l.substr(sp));
    } else {
      key = l;
    }
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
      value = value.substr(1, value.size() - 2);
    out.push_back(ConfEntry{section, std::string(key), std::string(value), no});
    return out.size() < max_entries;
  });
  return out;
}

bool looks_like_text(std::string_view data) {
  std::string_view head = data.substr(0, std::min<std::size_t>(data.size(), 4096));
  if (head.find('\0') != std::string_view::npos) return false;
  std::size_t odd = 0;
  for (char ch : head) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1b) ++odd;
  }
  return odd * 100 <= head.size();
}

}  // namespace iotaudit::formats
