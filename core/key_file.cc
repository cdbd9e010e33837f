#include "tracery/core/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "tracery/core/encoding.h"

namespace tracery {
namespace {

Status Errno(const std::string& what, const std::string& path) {
  return IoError(what + " " + path + ": " + std::strerror(errno));
}

Status WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("write", path);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return Errno("fsync", path);
  return Status::Ok();
}

Status SyncDir(const std::string& path) {
  auto slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  if (dir.empty()) dir = "/";
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Errno("open", dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Errno("fsync", dir);
  return Status::Ok();
}

}  // namespace

Status WriteFileAtomic(const std::string& path, const std::string& contents, int mode) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Errno("open", tmp);
  ::fchmod(fd, static_cast<mode_t>(mode));
  Status st = WriteAll(fd, contents, tmp);
  ::close(fd);
  RETURN_IF_ERROR(st);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Errno("rename", tmp);
  return SyncDir(path);
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot open " + path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return IoError("cannot read " + path);
  return ss.str();
}

Status WriteKeyFile(const std::string& path, const PrivateKey& key) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("create key file", path);
  ::fchmod(fd, 0600);  // whatever the umask
  Status st = WriteAll(fd, HexEncode(key.seed()) + "\n", path);
  ::close(fd);
  RETURN_IF_ERROR(st);
  return SyncDir(path);
}

Result<PrivateKey> ReadKeyFile(const std::string& path) {
  struct stat sb;
  if (::stat(path.c_str(), &sb) != 0) return Errno("stat key file", path);
  if ((sb.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(sb.st_mode & 07777));
    return PermissionDenied("key file " + path + " is accessible by others (mode " + mode +
                            "); run chmod 600 " + path);
  }
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  auto seed = HexDecode(text);
  if (!seed.ok()) return InvalidArgument("key file " + path + ": " + seed.status().message());
  auto key = PrivateKey::FromSeed(*seed);
  if (!key.ok()) return InvalidArgument("key file " + path + ": " + key.status().message());
  return key;
}

}  // namespace tracery
