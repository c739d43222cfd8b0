// Network namespaces for test/nat and the NAT part of `npm run bench:p2p`: a "public" network
// (a bridge in one namespace, on addresses that are public as far as libp2p can tell) and home
// networks, each a private /24 behind a router namespace that MASQUERADEs what leaves it and
// drops what comes in unasked.
// Nothing is linked to the host's own network: traffic stays inside the namespaces made here.
import { execFileSync, spawnSync } from "node:child_process";

/**
 * 11.19.0.0/24 is not in any private or reserved range, so libp2p and AutoNAT treat it as the
 * internet; it never leaves these namespaces, which have no route to the host's network.
 */
export const PUBLIC_PREFIX = "11.19.0";

export type Home = { name: string; router: string; host: string; wanIp: string; lanIp: string };
/** `pub` holds the bridge and the first public address; each further public host is a namespace of its own. */
export type Topology = { tag: string; pub: string; pubHosts: Array<{ ns: string; ip: string }>; homes: Home[]; cleanup(): void };

const run = (args: string[]) => execFileSync(args[0]!, args.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
const inNs = (ns: string, args: string[]) => run(["ip", "netns", "exec", ns, ...args]);

/** Why namespaces cannot be made here, or undefined when they can. */
export function namespacesUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "network namespaces need root (ip netns add); run it as root";
  for (const tool of ["ip", "iptables"]) {
    if (spawnSync(tool, ["--version"]).error) return `${tool} is not installed (apt-get install -y iproute2 iptables; .ci/run does)`;
  }
  return undefined;
}

/** Builds the namespaces; `cleanup` deletes every one of them (also after a partial build). */
export function buildTopology(homes: number, pubIps: number): Topology {
  // Short and unique per run: interface names are at most 15 characters.
  const tag = `a${process.pid.toString(36)}`;
  const made: string[] = [];
  const cleanup = () => {
    for (const ns of made.reverse()) spawnSync("ip", ["netns", "delete", ns]);
  };
  try {
    const pub = `${tag}-pub`;
    run(["ip", "netns", "add", pub]);
    made.push(pub);
    inNs(pub, ["ip", "link", "set", "lo", "up"]);
    inNs(pub, ["ip", "link", "add", "br0", "type", "bridge"]);
    inNs(pub, ["ip", "link", "set", "br0", "up"]);
    // Public hosts in namespaces of their own: two addresses in one namespace talk over its
    // loopback, and AutoNAT (rightly) will not confirm an address for a peer on its own host.
    const pubHosts = [{ ns: pub, ip: `${PUBLIC_PREFIX}.1` }];
    inNs(pub, ["ip", "addr", "add", `${PUBLIC_PREFIX}.1/24`, "dev", "br0"]);
    for (let i = 1; i < pubIps; i++) {
      const ns = `${tag}-p${i}`;
      run(["ip", "netns", "add", ns]);
      made.push(ns);
      inNs(ns, ["ip", "link", "set", "lo", "up"]);
      run(["ip", "link", "add", `${tag}x${i}`, "type", "veth", "peer", "name", `${tag}y${i}`]);
      run(["ip", "link", "set", `${tag}x${i}`, "netns", ns]);
      run(["ip", "link", "set", `${tag}y${i}`, "netns", pub]);
      inNs(pub, ["ip", "link", "set", `${tag}y${i}`, "master", "br0"]);
      inNs(pub, ["ip", "link", "set", `${tag}y${i}`, "up"]);
      const ip = `${PUBLIC_PREFIX}.${i + 1}`;
      inNs(ns, ["ip", "addr", "add", `${ip}/24`, "dev", `${tag}x${i}`]);
      inNs(ns, ["ip", "link", "set", `${tag}x${i}`, "up"]);
      pubHosts.push({ ns, ip });
    }
    const out: Home[] = [];
    for (let h = 0; h < homes; h++) {
      const router = `${tag}-r${h}`;
      const host = `${tag}-h${h}`;
      for (const ns of [router, host]) {
        run(["ip", "netns", "add", ns]);
        made.push(ns);
        inNs(ns, ["ip", "link", "set", "lo", "up"]);
      }
      const wanIp = `${PUBLIC_PREFIX}.${101 + h}`;
      const lanIp = `10.${h + 1}.0.2`;
      // Router's uplink to the public bridge.
      run(["ip", "link", "add", `${tag}w${h}`, "type", "veth", "peer", "name", `${tag}u${h}`]);
      run(["ip", "link", "set", `${tag}w${h}`, "netns", router]);
      run(["ip", "link", "set", `${tag}u${h}`, "netns", pub]);
      inNs(pub, ["ip", "link", "set", `${tag}u${h}`, "master", "br0"]);
      inNs(pub, ["ip", "link", "set", `${tag}u${h}`, "up"]);
      inNs(router, ["ip", "addr", "add", `${wanIp}/24`, "dev", `${tag}w${h}`]);
      inNs(router, ["ip", "link", "set", `${tag}w${h}`, "up"]);
      // The home network: router .1, host .2.
      run(["ip", "link", "add", `${tag}l${h}`, "type", "veth", "peer", "name", `${tag}e${h}`]);
      run(["ip", "link", "set", `${tag}l${h}`, "netns", router]);
      run(["ip", "link", "set", `${tag}e${h}`, "netns", host]);
      inNs(router, ["ip", "addr", "add", `10.${h + 1}.0.1/24`, "dev", `${tag}l${h}`]);
      inNs(router, ["ip", "link", "set", `${tag}l${h}`, "up"]);
      inNs(host, ["ip", "addr", "add", `${lanIp}/24`, "dev", `${tag}e${h}`]);
      inNs(host, ["ip", "link", "set", `${tag}e${h}`, "up"]);
      inNs(host, ["ip", "route", "add", "default", "via", `10.${h + 1}.0.1`]);
      // A home router: forwards out, MASQUERADEs, and lets in only replies.
      inNs(router, ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
      inNs(router, ["iptables", "-t", "nat", "-A", "POSTROUTING", "-o", `${tag}w${h}`, "-j", "MASQUERADE"]);
      inNs(router, ["iptables", "-A", "FORWARD", "-i", `${tag}w${h}`, "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"]);
      inNs(router, ["iptables", "-A", "FORWARD", "-i", `${tag}w${h}`, "-j", "DROP"]);
      out.push({ name: `home${h}`, router, host, wanIp, lanIp });
    }
    return { tag, pub, pubHosts, homes: out, cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}
