// Reads IPv4 host addresses (one per line) on stdin and adds them as /32 paths to gobgpd's global
// RIB through its gRPC AddPathStream API, in one stream, then waits for the server to confirm.
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	api "github.com/osrg/gobgp/v3/api"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	apb "google.golang.org/protobuf/types/known/anypb"
)

func main() {
	addr := os.Args[1]    // gobgpd gRPC address, host:port
	nexthop := os.Args[2] // next hop
	comm, _ := strconv.ParseUint(os.Args[3], 10, 32)
	conn, err := grpc.Dial(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		panic(err)
	}
	c := api.NewGobgpApiClient(conn)
	origin, _ := apb.New(&api.OriginAttribute{Origin: 0})
	nh, _ := apb.New(&api.NextHopAttribute{NextHop: nexthop})
	cm, _ := apb.New(&api.CommunitiesAttribute{Communities: []uint32{uint32(comm)}})
	family := &api.Family{Afi: api.Family_AFI_IP, Safi: api.Family_SAFI_UNICAST}
	var paths []*api.Path
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		ip := strings.TrimSpace(sc.Text())
		if ip == "" {
			continue
		}
		nlri, _ := apb.New(&api.IPAddressPrefix{Prefix: ip, PrefixLen: 32})
		paths = append(paths, &api.Path{Family: family, Nlri: nlri, Pattrs: []*apb.Any{origin, nh, cm}})
	}
	stream, err := c.AddPathStream(context.Background())
	if err != nil {
		panic(err)
	}
	const batch = 1000
	for i := 0; i < len(paths); i += batch {
		end := i + batch
		if end > len(paths) {
			end = len(paths)
		}
		if err := stream.Send(&api.AddPathStreamRequest{TableType: api.TableType_GLOBAL, Paths: paths[i:end]}); err != nil {
			panic(err)
		}
	}
	if _, err := stream.CloseAndRecv(); err != nil {
		panic(err)
	}
	fmt.Println(len(paths))
}
