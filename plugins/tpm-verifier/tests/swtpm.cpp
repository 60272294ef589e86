#include "swtpm.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

extern char** environ;

namespace hellotrace::tpmv::testing {

namespace fs = std::filesystem;

namespace {

sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// A socket bound to 127.0.0.1:port (0: any free port), or -1.
int bound_socket(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // as swtpm binds
  sockaddr_in a = loopback(port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

uint16_t port_of(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

// Two consecutive free ports P, P+1 (swtpm's TCTI finds the control port at P+1). The
// kernel picks P, so parallel tests do not collide on a fixed range.
uint16_t free_port_pair() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    const int a = bound_socket(0);
    if (a < 0) continue;
    const uint16_t p = port_of(a);
    const int b = p < 65535 ? bound_socket(static_cast<uint16_t>(p + 1)) : -1;
    close(a);
    if (b >= 0) {
      close(b);
      return p;
    }
  }
  throw std::runtime_error("no two consecutive free TCP ports on 127.0.0.1");
}

bool accepts(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a = loopback(port);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

}  // namespace

std::string find_swtpm() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / "swtpm";
    if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return {};
}

uint16_t closed_port() {
  const int fd = bound_socket(0);
  if (fd < 0) throw std::runtime_error("cannot bind a TCP socket on 127.0.0.1");
  const uint16_t p = port_of(fd);
  close(fd);  // bound but never listening: connections to it are refused
  return p;
}

Swtpm::Swtpm(const std::string& binary) {
  std::string tmpl = (fs::temp_directory_path() / "ht-swtpm-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  // Another process may take the ports between our check and swtpm's bind; swtpm then
  // exits and we try other ports.
  for (int attempt = 0; attempt < 5; ++attempt)
    if (start_once(binary)) return;
  const std::string why = log();
  fs::remove_all(dir_);
  throw std::runtime_error("swtpm did not start; its log:\n" + why);
}

bool Swtpm::start_once(const std::string& binary) {
  port_ = free_port_pair();
  const std::string server = "type=tcp,port=" + std::to_string(port_) + ",bindaddr=127.0.0.1";
  const std::string ctrl = "type=tcp,port=" + std::to_string(port_ + 1) + ",bindaddr=127.0.0.1";
  const std::string state = "dir=" + dir_.string();
  std::vector<std::string> args = {binary,
                                   "socket",
                                   "--tpm2",
                                   "--server",
                                   server,
                                   "--ctrl",
                                   ctrl,
                                   "--tpmstate",
                                   state,
                                   "--flags",
                                   "not-need-init,startup-clear"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string log_path = (dir_ / "swtpm.log").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const int rc = posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot run " + binary + ": " + std::strerror(rc));

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) return false;  // could not bind: try other ports
    if (accepts(port_) && accepts(static_cast<uint16_t>(port_ + 1)) && running()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop();
  return false;
}

bool Swtpm::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

void Swtpm::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 500; ++i) {  // 5 s, then no more patience
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string Swtpm::log() const {
  std::ifstream in(dir_ / "swtpm.log");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Swtpm::~Swtpm() {
  stop();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

PinKey PinKey::create(Tpm& tpm) {
  PinKey k;
  k.parent =
      tpm.create_primary(Hierarchy::kOwner, key_template(KeyAlg::kEcc, KeyRole::kStorage, true));
  k.key =
      tpm.create_and_load(k.parent, key_template(KeyAlg::kEcc, KeyRole::kSigning, false), "1234");
  return k;
}

TSS2_RC PinKey::sign_with_wrong_pin(Tpm& tpm) const {
  TPM2B_AUTH wrong{};
  wrong.size = 4;
  std::memcpy(wrong.buffer, "0000", 4);
  check(Esys_TR_SetAuth(tpm.esys(), key.handle.get(), &wrong), "Esys_TR_SetAuth");
  TPM2B_DIGEST digest{};
  digest.size = 32;
  TPMT_SIG_SCHEME scheme{};
  scheme.scheme = TPM2_ALG_ECDSA;
  scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
  TPMT_TK_HASHCHECK ticket{};  // a null ticket: fine for an unrestricted key
  ticket.tag = TPM2_ST_HASHCHECK;
  ticket.hierarchy = TPM2_RH_NULL;
  TPMT_SIGNATURE* sig = nullptr;
  const TSS2_RC rc = Esys_Sign(tpm.esys(), key.handle.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE,
                               ESYS_TR_NONE, &digest, &scheme, &ticket, &sig);
  Esys_Free(sig);
  return rc;
}

void SwtpmTest::SetUp() {
  const std::string binary = find_swtpm();
  ASSERT_FALSE(binary.empty())
      << "swtpm is not installed (not on PATH): run scripts/bootstrap, which installs swtpm "
         "and swtpm-tools; these tests need a real software TPM";
  try {
    tpm_ = std::make_unique<Swtpm>(binary);
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
}

void SwtpmTest::TearDown() {
  if (tpm_) {
    EXPECT_TRUE(tpm_->running()) << "swtpm exited during the test";
  }
  tpm_.reset();
}

}  // namespace hellotrace::tpmv::testing
