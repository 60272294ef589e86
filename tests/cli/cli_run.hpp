// Runs the hellotrace program as a subprocess, for the end-to-end tests.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

struct Outcome {
  int exit_code = -1;
  std::string out, err;
};

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// `prefix`: a command to run hellotrace under (e.g. "timeout 60").
inline Outcome run(const std::string& args, const std::string& prefix = "") {
  static int counter = 0;
  const fs::path err = fs::temp_directory_path() / ("hellotrace-cli-" + std::to_string(::getpid()) +
                                                    "-" + std::to_string(++counter));
  const std::string cmd =
      prefix + " " + quote(HELLOTRACE_EXE) + " " + args + " 2>" + quote(err.string());
  Outcome r;
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = slurp(err);
  fs::remove(err);
  return r;
}

inline std::vector<nlohmann::json> ndjson(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

inline std::string source_path(const std::string& rel) {
  return std::string(HT_SOURCE_DIR "/") + rel;
}

// A fresh, empty folder under the temp dir, removed by the destructor.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& tag) {
    static int counter = 0;
    path = fs::temp_directory_path() / ("hellotrace-cli-" + tag + "-" + std::to_string(::getpid()) +
                                        "-" + std::to_string(++counter));
    fs::remove_all(path);
  }
  ~TempDir() { fs::remove_all(path); }
};
