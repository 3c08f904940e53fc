package redistoken_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

// redisOptions are the options of the Redis the tests use: REDIS_URL or ATLAS_REDIS_ADDR when
// set, else a redis-server TestMain starts on a free loopback port.
var redisOptions *redis.Options

// TestMain starts a redis-server for the tests unless one is given, and fails the run when a
// goroutine outlives the tests. Without redis-server the tests fail under CI=true (CI installs
// it) and are skipped elsewhere.
func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(runChild(spec)) // a process of TestThreeProcessesOneGrant
	}
	stop, err := startRedis()
	if err != nil {
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, "redistoken tests:", err)
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "redistoken tests skipped:", err)
		os.Exit(0)
	}
	code := m.Run()
	stop()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func startRedis() (stop func(), err error) {
	if u := os.Getenv("REDIS_URL"); u != "" {
		redisOptions, err = redis.ParseURL(u)
		return func() {}, err
	}
	if addr := os.Getenv("ATLAS_REDIS_ADDR"); addr != "" {
		redisOptions = &redis.Options{Addr: addr}
		return func() {}, nil
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("redis-server is not installed (apt-get install redis-server), and neither REDIS_URL nor ATLAS_REDIS_ADDR is set: %w", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "notice")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	// Wait for redis-server to say it is ready; its log goes on to stdout after that.
	sc := bufio.NewScanner(out)
	var log []string
	for sc.Scan() {
		log = append(log, sc.Text())
		if strings.Contains(sc.Text(), "Ready to accept connections") {
			go func() {
				for sc.Scan() {
				}
			}()
			redisOptions = &redis.Options{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
			return func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }, nil
		}
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	return nil, fmt.Errorf("redis-server on port %d exited before it was ready:\n%s", port, strings.Join(log, "\n"))
}
