#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "tracery/core/encoding.h"
#include "tracery/core/key_file.h"
#include "tracery/core/time.h"

namespace tracery {
namespace {

TEST(Hex, RoundTripAndErrors) {
  EXPECT_EQ(HexEncode("\x01\xab\xff"), "01abff");
  EXPECT_EQ(HexDecode("01ABff").value(), "\x01\xab\xff");
  EXPECT_FALSE(HexDecode("abc").ok());
  EXPECT_FALSE(HexDecode("zz").ok());
}

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},        {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    EXPECT_EQ(Base64Decode(encoded).value(), plain);
  }
  EXPECT_FALSE(Base64Decode("Zm9").ok());
  EXPECT_FALSE(Base64Decode("Zm9v!A==").ok());
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(Base64UrlDecode("-_8").value(), "\xfb\xff");
}

TEST(Percent, DecodeAndEncode) {
  EXPECT_EQ(PercentDecode("ni%3A%2F%2F%2Fsha-256%3Babc").value(), "ni:///sha-256;abc");
  EXPECT_EQ(PercentEncode("urn:epc:id:sgtin:1.2/3?x"), "urn%3Aepc%3Aid%3Asgtin%3A1.2%2F3%3Fx");
  EXPECT_FALSE(PercentDecode("%4").ok());
  EXPECT_FALSE(PercentDecode("%zz").ok());
}

TEST(BigEndian, RoundTrip) {
  std::string s;
  PutBe64(&s, 0x0102030405060708ULL);
  PutBe32(&s, 0xa0b0c0d0u);
  EXPECT_EQ(GetBe64(s), 0x0102030405060708ULL);
  EXPECT_EQ(GetBe32(std::string_view(s).substr(8)), 0xa0b0c0d0u);
}

TEST(Time, ParsesOffsetsAndFormatsUtc) {
  auto t = ParseRfc3339("2005-04-03T20:33:31.116-06:00").value();
  EXPECT_EQ(t.offset_minutes, -360);
  EXPECT_EQ(FormatRfc3339Utc(t.unix_ms), "2005-04-04T02:33:31.116Z");
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z").value().unix_ms, 0);
  EXPECT_EQ(ParseRfc3339("2024-02-29T12:00:00+01:00").value().unix_ms, 1709204400000);
  EXPECT_FALSE(ParseRfc3339("2023-02-29T12:00:00Z").ok());
  EXPECT_FALSE(ParseRfc3339("2023-01-01T12:00:00").ok());
  EXPECT_FALSE(ParseRfc3339("2023-01-01 12:00:00Z").ok());
  EXPECT_EQ(FormatOffset(-360), "-06:00");
  EXPECT_EQ(FormatRfc3339Utc(-1), "1969-12-31T23:59:59.999Z");
}

class KeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tracery-keyfile-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string dir_;
};

TEST_F(KeyFileTest, WrittenWithMode0600AndReadBack) {
  PrivateKey key = PrivateKey::Generate();
  const std::string path = dir_ + "/node.key";
  ASSERT_TRUE(WriteKeyFile(path, key).ok());
  struct stat sb;
  ASSERT_EQ(stat(path.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);
  auto read = ReadKeyFile(path);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->public_key().bytes(), key.public_key().bytes());
  EXPECT_FALSE(WriteKeyFile(path, key).ok()) << "an existing key file must not be overwritten";
}

TEST_F(KeyFileTest, RefusedWhenReadableByOthers) {
  const std::string path = dir_ + "/node.key";
  ASSERT_TRUE(WriteKeyFile(path, PrivateKey::Generate()).ok());
  chmod(path.c_str(), 0644);
  auto read = ReadKeyFile(path);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), Code::kPermissionDenied);
  EXPECT_NE(read.status().message().find("chmod 600"), std::string::npos);
}

TEST_F(KeyFileTest, GarbageRefused) {
  const std::string path = dir_ + "/bad.key";
  ASSERT_TRUE(WriteFileAtomic(path, "not hex\n", 0600).ok());
  EXPECT_EQ(ReadKeyFile(path).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace tracery
