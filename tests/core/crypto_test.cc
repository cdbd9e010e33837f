#include <gtest/gtest.h>

#include "tracery/core/crypto.h"
#include "tracery/core/encoding.h"

namespace tracery {
namespace {

std::string Hex(std::string_view h) { return HexDecode(h).value(); }

struct Vector {
  const char* secret;
  const char* public_key;
  const char* message;
  const char* signature;
};

// RFC 8032 §7.1, Ed25519 tests 1, 2, 3 and "SHA(abc)".
const Vector kRfc8032[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9"
     "b46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f1"
     "1d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984d"
     "c6594a7c15e9716ed28dc027beceea1ec40a"},
    {"833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
     "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3fe"
     "ebbd454d4423643ce80e2a9ac94fa54ca49f",
     "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431"
     "e0303dca179c138ac17ad9bef1177331a704"},
};

TEST(Ed25519, Rfc8032Vectors) {
  for (const Vector& v : kRfc8032) {
    auto key = PrivateKey::FromSeed(Hex(v.secret));
    ASSERT_TRUE(key.ok());
    EXPECT_EQ(HexEncode(key->public_key().bytes()), v.public_key);
    const std::string msg = Hex(v.message);
    EXPECT_EQ(HexEncode(key->SignRaw(msg)), v.signature);
    EXPECT_TRUE(key->public_key().VerifyRaw(msg, Hex(v.signature)));
  }
}

TEST(Ed25519, RejectsAlteredMessageAndSignature) {
  const Vector& v = kRfc8032[1];
  auto pub = PublicKey::FromBytes(Hex(v.public_key)).value();
  std::string sig = Hex(v.signature);
  EXPECT_FALSE(pub.VerifyRaw(Hex("73"), sig));
  sig[10] ^= 1;
  EXPECT_FALSE(pub.VerifyRaw(Hex(v.message), sig));
  EXPECT_FALSE(pub.VerifyRaw(Hex(v.message), sig.substr(0, 63)));
}

TEST(Ed25519, WrongKeySizesRefused) {
  EXPECT_FALSE(PrivateKey::FromSeed("short").ok());
  EXPECT_FALSE(PublicKey::FromBytes(std::string(31, 'x')).ok());
}

TEST(DomainSeparation, SignatureDoesNotCrossPurposeOrNetwork) {
  PrivateKey key = PrivateKey::Generate();
  const Hash32 net_a = Sha256("genesis a");
  const Hash32 net_b = Sha256("genesis b");
  const std::string payload = "height 7";
  const std::string sig = key.Sign(Purpose::kTx, net_a, payload);
  EXPECT_TRUE(key.public_key().Verify(Purpose::kTx, net_a, payload, sig));
  EXPECT_FALSE(key.public_key().Verify(Purpose::kCommit, net_a, payload, sig));
  EXPECT_FALSE(key.public_key().Verify(Purpose::kTx, net_b, payload, sig));
  EXPECT_FALSE(key.public_key().VerifyRaw(payload, sig));
}

TEST(DomainSeparation, MessageLayout) {
  const Hash32 g = Sha256("g");
  const std::string m = DomainMessage(Purpose::kCommit, g, "xyz");
  EXPECT_EQ(m, std::string("tracery/v1/commit") + '\0' + HashBytes(g) + "xyz");
  EXPECT_STREQ(PurposeTag(Purpose::kHandshake), "tracery/v1/handshake");
  EXPECT_STREQ(PurposeTag(Purpose::kTelemetry), "tracery/v1/telemetry");
}

TEST(Sha256, KnownAnswers) {
  EXPECT_EQ(HashHex(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HashHex(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256Hasher h;
  h.Update("a");
  h.Update("bc");
  EXPECT_EQ(HashHex(h.Finish()), HashHex(Sha256("abc")));
}

TEST(KeyId, IsStableAndShort) {
  auto pub = PublicKey::FromBytes(Hex(kRfc8032[0].public_key)).value();
  EXPECT_EQ(pub.KeyId().size(), 16u);
  EXPECT_EQ(pub.KeyId(), HexEncode(HashBytes(Sha256(pub.bytes())).substr(0, 8)));
}

}  // namespace
}  // namespace tracery
