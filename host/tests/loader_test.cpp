#include "runtime/loader.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "test_util.hpp"

namespace fs = std::filesystem;
using namespace hellotrace::host;

extern "C" const ht_plugin* ht_plugin_test_lines(void);

static fs::path test_plugin(const std::string& name) {
  return fs::path(TEST_PLUGIN_DIR) / (name + ".so");
}

static fs::path copy_into(const TempDir& dir, const std::string& name) {
  const fs::path to = dir.path / (name + ".so");
  fs::copy_file(test_plugin(name), to);
  fs::permissions(to, fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
  return to;
}

TEST(Loader, LoadsAGoodPluginAndDescribesIt) {
  TempDir dir;
  copy_into(dir, "lines");
  Registry r;
  LoadOptions o;
  o.plugin_dirs = {dir.path};
  o.use_default_dirs = false;
  o.use_environment = false;
  r.load(o);
  ASSERT_TRUE(r.refusals().empty()) << r.refusals().front();
  ASSERT_EQ(r.plugins().size(), 1u);
  const Plugin& p = *r.plugins().front();
  EXPECT_EQ(p.name(), "lines");
  EXPECT_EQ(p.version(), "1.2.3");
  EXPECT_EQ(p.kinds_text(), "parser");
  EXPECT_EQ(p.formats(), std::vector<std::string>{"lines"});
  EXPECT_EQ(p.path().filename(), "lines.so");
}

TEST(Loader, RefusesAnIncompatibleApiVersion) {
  TempDir dir;
  Registry r;
  EXPECT_FALSE(r.load_file(copy_into(dir, "future")));
  ASSERT_EQ(r.refusals().size(), 1u);
  EXPECT_NE(r.refusals()[0].find("future.so"), std::string::npos);
  EXPECT_NE(r.refusals()[0].find("incompatible plugin API version 2.0.0"), std::string::npos)
      << r.refusals()[0];
  EXPECT_TRUE(r.plugins().empty());
}

TEST(Loader, RefusesADuplicateName) {
  TempDir dir;
  copy_into(dir, "lines");
  copy_into(dir, "lines-copy");
  Registry r;
  LoadOptions o;
  o.plugin_dirs = {dir.path};
  o.use_default_dirs = o.use_environment = false;
  r.load(o);
  ASSERT_EQ(r.plugins().size(), 1u);
  ASSERT_EQ(r.refusals().size(), 1u);
  EXPECT_NE(r.refusals()[0].find("lines.so"), std::string::npos);  // the second in sorted order
  EXPECT_NE(r.refusals()[0].find("duplicate plugin name 'lines'"), std::string::npos)
      << r.refusals()[0];
}

TEST(Loader, RefusesALibraryThatIsNotAPlugin) {
  TempDir dir;
  Registry r;
  EXPECT_FALSE(r.load_file(copy_into(dir, "not-a-plugin")));
  EXPECT_NE(r.refusals().at(0).find("not a hellotrace plugin"), std::string::npos)
      << r.refusals()[0];
  // And a file that is not a library at all.
  const fs::path text = dir.write("notes.so", "just text");
  fs::permissions(text, fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_FALSE(r.load_file(text));
  EXPECT_NE(r.refusals().at(1).find("not a loadable library"), std::string::npos)
      << r.refusals()[1];
  EXPECT_NE(r.refusals().at(1).find("notes.so"), std::string::npos);
}

TEST(Loader, RefusesAPluginFileWritableByOthers) {
  TempDir dir;
  const fs::path p = copy_into(dir, "lines");
  ::chmod(p.c_str(), 0666);
  Registry r;
  EXPECT_FALSE(r.load_file(p));
  EXPECT_NE(r.refusals().at(0).find("writable by other users"), std::string::npos)
      << r.refusals()[0];
  ::chmod(p.c_str(), 0664);
  EXPECT_FALSE(r.load_file(p));
  EXPECT_NE(r.refusals().at(1).find("writable by its group"), std::string::npos) << r.refusals()[1];
}

TEST(Loader, RefusesAPluginFolderWritableByOthers) {
  TempDir dir;
  copy_into(dir, "lines");
  ::chmod(dir.path.c_str(), 0777);
  Registry r;
  LoadOptions o;
  o.plugin_dirs = {dir.path};
  o.use_default_dirs = o.use_environment = false;
  r.load(o);
  EXPECT_TRUE(r.plugins().empty());
  ASSERT_EQ(r.refusals().size(), 1u);
  EXPECT_NE(r.refusals()[0].find("plugin folder is writable by other users"), std::string::npos)
      << r.refusals()[0];
}

TEST(Loader, FindsPluginsThroughTheEnvironment) {
  TempDir a, b;
  copy_into(a, "lines");
  ::setenv("HELLOTRACE_PLUGIN_PATH", (b.path.string() + ":" + a.path.string()).c_str(), 1);
  Registry r;
  LoadOptions o;
  o.use_default_dirs = false;
  r.load(o);
  ::unsetenv("HELLOTRACE_PLUGIN_PATH");
  ASSERT_NE(r.find("lines"), nullptr);
  EXPECT_EQ(r.searched().size(), 2u);
}

TEST(Loader, AddsAnInProcessTableAndReportsInitFailure) {
  Registry r;
  EXPECT_TRUE(r.add_table(ht_plugin_test_lines()));
  EXPECT_FALSE(r.add_table(ht_plugin_test_lines()));  // same name twice
  Registry failing;
  EXPECT_FALSE(failing.add_table(ht_plugin_test_lines(), R"({"fail_init":true})"));
  EXPECT_NE(failing.refusals().at(0).find("init failed: plugin error: asked to fail"),
            std::string::npos)
      << failing.refusals()[0];
}
