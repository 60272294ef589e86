// A real software TPM (swtpm) per test: fresh state in its own temp dir, its own TCP
// ports, killed after the test. Tests run in parallel (ctest -j), so nothing is shared.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "verifier.hpp"

namespace hellotrace::tpmv::testing {

class Swtpm {
 public:
  // Starts swtpm; throws std::runtime_error with swtpm's own log when it cannot.
  explicit Swtpm(const std::string& binary);
  ~Swtpm();
  Swtpm(const Swtpm&) = delete;
  Swtpm& operator=(const Swtpm&) = delete;

  uint16_t port() const { return port_; }
  std::string tcti() const { return "swtpm:host=127.0.0.1,port=" + std::to_string(port_); }
  // True while the process we started is alive (it exits when it cannot bind).
  bool running();

 private:
  bool start_once(const std::string& binary);
  void stop();
  std::string log() const;

  std::filesystem::path dir_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

// Full path of the swtpm binary on PATH, or "" when it is not installed.
std::string find_swtpm();

// A TCP port on 127.0.0.1 that nothing listens on (bound, then closed).
uint16_t closed_port();

// A key subject to dictionary-attack protection (no noDA) with authValue "1234", like a
// Windows Hello key behind a PIN, under a fresh owner storage primary.
struct PinKey {
  Key parent, key;
  static PinKey create(Tpm& tpm);
  // One TPM2_Sign with a wrong authValue; returns the TPM's response code
  // (TPM_RC_AUTH_FAIL, which counts against the lockout).
  TSS2_RC sign_with_wrong_pin(Tpm& tpm) const;
};

// Fixture: a running swtpm in `tpm_`. A missing swtpm is a failure, not a skip: the
// suite's bootstrap installs it.
class SwtpmTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  std::string tcti() const { return tpm_->tcti(); }
  std::unique_ptr<Swtpm> tpm_;
};

}  // namespace hellotrace::tpmv::testing
