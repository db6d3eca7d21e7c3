#!/usr/bin/env python3
"""Checks the Kubernetes manifests under packaging/k8s/ without a cluster.

Every YAML document must parse and carry apiVersion, kind and metadata.name; every pod
template is checked for the fields a cluster would refuse (unknown keys in the parts
the manifests use, selector against template labels, volume names, quantities,
securityContext combinations) and for the project's own rules (least privilege for
torchdiag, the DaemonSet's hostPID and host mounts, the sidecar's shared PID
namespace, the Job's restart policy). Each torchdiag command line is checked against
the real binary: its subcommand exists, each option appears in `torchdiag SUB --help`,
options that take a value have one, and a --format value is one the help names.

Prints one line per check ("ok   ..." or "FAIL ..."), then "N passed, M failed";
exits 1 when a check failed, 2 on bad usage.

Usage: check_manifests.py TORCHDIAG_BINARY MANIFEST...
"""

import os
import re
import shlex
import sys

from torchdiag_cli import Help, option_value, parse_cli

try:
    import yaml
except ImportError:
    print("FAIL python3 cannot import yaml: install the Debian package python3-yaml")
    print("0 passed, 1 failed")
    sys.exit(1)


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what, why=""):
        if ok:
            self.passed += 1
            print(f"ok   {what}")
        else:
            self.failed += 1
            print(f"FAIL {what}" + (f": {why}" if why else ""))
        return ok


# Keys the Kubernetes API accepts in the objects the manifests use (v1.30). A key
# outside these is a typo that `kubectl apply` would refuse.
KNOWN = {
    "metadata": {"name", "namespace", "labels", "annotations", "generateName", "finalizers", "ownerReferences"},
    "DaemonSet.spec": {"minReadySeconds", "revisionHistoryLimit", "selector", "template", "updateStrategy"},
    "Deployment.spec": {"minReadySeconds", "paused", "progressDeadlineSeconds", "replicas", "revisionHistoryLimit",
                        "selector", "strategy", "template"},
    "StatefulSet.spec": {"minReadySeconds", "ordinals", "persistentVolumeClaimRetentionPolicy", "podManagementPolicy",
                         "replicas", "revisionHistoryLimit", "selector", "serviceName", "template", "updateStrategy",
                         "volumeClaimTemplates"},
    "Job.spec": {"activeDeadlineSeconds", "backoffLimit", "backoffLimitPerIndex", "completionMode", "completions",
                 "managedBy", "manualSelector", "maxFailedIndexes", "parallelism", "podFailurePolicy",
                 "podReplacementPolicy", "selector", "successPolicy", "suspend", "template",
                 "ttlSecondsAfterFinished"},
    "template": {"metadata", "spec"},
    "pod": {"activeDeadlineSeconds", "affinity", "automountServiceAccountToken", "containers", "dnsConfig",
            "dnsPolicy", "enableServiceLinks", "ephemeralContainers", "hostAliases", "hostIPC", "hostNetwork",
            "hostPID", "hostUsers", "hostname", "imagePullSecrets", "initContainers", "nodeName", "nodeSelector",
            "os", "overhead", "preemptionPolicy", "priority", "priorityClassName", "readinessGates",
            "resourceClaims", "resources", "restartPolicy", "runtimeClassName", "schedulerName",
            "schedulingGates", "securityContext", "serviceAccount", "serviceAccountName", "setHostnameAsFQDN",
            "shareProcessNamespace", "subdomain", "terminationGracePeriodSeconds", "tolerations",
            "topologySpreadConstraints", "volumes"},
    "container": {"args", "command", "env", "envFrom", "image", "imagePullPolicy", "lifecycle", "livenessProbe",
                  "name", "ports", "readinessProbe", "resizePolicy", "resources", "restartPolicy",
                  "securityContext", "startupProbe", "stdin", "stdinOnce", "terminationMessagePath",
                  "terminationMessagePolicy", "tty", "volumeDevices", "volumeMounts", "workingDir"},
    "securityContext": {"allowPrivilegeEscalation", "appArmorProfile", "capabilities", "privileged", "procMount",
                        "readOnlyRootFilesystem", "runAsGroup", "runAsNonRoot", "runAsUser", "seLinuxOptions",
                        "seccompProfile", "windowsOptions"},
    "podSecurityContext": {"appArmorProfile", "fsGroup", "fsGroupChangePolicy", "runAsGroup", "runAsNonRoot",
                           "runAsUser", "seLinuxChangePolicy", "seLinuxOptions", "seccompProfile",
                           "supplementalGroups", "supplementalGroupsPolicy", "sysctls", "windowsOptions"},
    "capabilities": {"add", "drop"},
    "seccompProfile": {"type", "localhostProfile"},
    "resources": {"limits", "requests", "claims"},
    "volumeMount": {"mountPath", "mountPropagation", "name", "readOnly", "recursiveReadOnly", "subPath",
                    "subPathExpr"},
    "toleration": {"key", "operator", "value", "effect", "tolerationSeconds"},
    "env": {"name", "value", "valueFrom"},
    "port": {"containerPort", "hostIP", "hostPort", "name", "protocol"},
    "hostPath": {"path", "type"},
    "emptyDir": {"medium", "sizeLimit"},
    "persistentVolumeClaim": {"claimName", "readOnly"},
    "configMap": {"name", "items", "defaultMode", "optional"},
}
VOLUME_SOURCES = {"hostPath", "emptyDir", "configMap", "secret", "persistentVolumeClaim", "projected",
                  "downwardAPI", "csi", "ephemeral", "nfs", "image", "iscsi", "fc", "local"}
HOSTPATH_TYPES = {"", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice",
                  "BlockDevice"}
POD_TEMPLATE_KINDS = {"DaemonSet", "Deployment", "StatefulSet", "ReplicaSet", "Job"}


def unknown_keys(obj, kind):
    if not isinstance(obj, dict):
        return [f"{kind} is not a mapping"]
    return sorted(set(obj) - KNOWN[kind])


def keys_ok(c, where, obj, kind, name=""):
    bad = unknown_keys(obj, kind)
    what = f"{kind} {name}" if name else kind
    return c.check(not bad, f"{where}: {what} has only known keys", "unknown: " + ", ".join(bad))


CPU_RE = re.compile(r"^(\d+(\.\d+)?)(m?)$")
MEM_RE = re.compile(r"^(\d+(\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$")
MEM_UNITS = {None: 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def quantity(resource, value):
    """The quantity in base units (CPUs, bytes), or None when malformed."""
    text = str(value)
    if resource == "cpu":
        m = CPU_RE.match(text)
        return None if not m else float(m.group(1)) / (1000 if m.group(3) else 1)
    m = MEM_RE.match(text)
    return None if not m else float(m.group(1)) * MEM_UNITS[m.group(3)]


# ---- torchdiag command lines -------------------------------------------------------

def torchdiag_invocations(container):
    """The torchdiag command lines a container runs, as argument lists after the binary."""
    argv = list(container.get("command") or []) + list(container.get("args") or [])
    argv = [str(a) for a in argv]
    if not argv:
        return []
    if os.path.basename(argv[0]) == "torchdiag":
        return [argv[1:]]
    if os.path.basename(argv[0]) in ("sh", "bash", "dash") and "-c" in argv[:-1]:
        script = argv[argv.index("-c") + 1]
        lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens, found, segment = list(lexer), [], []
        for t in tokens + [";"]:
            if t in (";", "&&", "||", "|", "&", "(", ")"):
                while segment and segment[0] in ("exec", "env"):
                    segment = segment[1:]
                if segment and os.path.basename(segment[0]) == "torchdiag":
                    found.append(segment[1:])
                segment = []
            else:
                segment.append(t)
        return found
    return []


def check_torchdiag_cli(c, where, args, helps):
    sub, options = parse_cli(args)
    if not c.check(sub is not None, f"{where}: names a torchdiag subcommand", f"arguments {args}"):
        return None
    opts, why = helps.get(sub)
    if not c.check(opts is not None, f"{where}: `torchdiag {sub} --help` runs", why):
        return sub
    for name, inline, nxt in options:
        known = name in opts
        c.check(known, f"{where}: torchdiag {sub} {name} is in `torchdiag {sub} --help`",
                f"{name} is not an option of torchdiag {sub} in this build")
        if not known:
            continue
        if opts[name]["value"]:
            value = inline if inline is not None else nxt
            has = value is not None and (inline is not None or not value.startswith("--"))
            c.check(has, f"{where}: torchdiag {sub} {name} has a value", "the option takes a value")
            if has and name == "--format":
                c.check(re.search(r"\b" + re.escape(value) + r"\b", opts[name]["text"]) is not None,
                        f"{where}: torchdiag {sub} --format {value} is a form the help names",
                        f"help says: {opts[name]['text']}")
    return sub


# ---- pod templates ----------------------------------------------------------------

def pod_template(doc):
    kind = doc.get("kind")
    spec = doc.get("spec") or {}
    if kind == "Pod":
        return doc.get("metadata") or {}, spec
    if kind in POD_TEMPLATE_KINDS:
        t = spec.get("template") or {}
        return t.get("metadata") or {}, t.get("spec")
    if kind == "CronJob":
        t = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
        return t.get("metadata") or {}, t.get("spec")
    return None, None


def mount_of(container, path):
    """The volumeMount whose mountPath holds `path` (the deepest one), or None."""
    best = None
    for m in container.get("volumeMounts") or []:
        mp = m.get("mountPath", "").rstrip("/") or "/"
        if path == mp or path.startswith(mp.rstrip("/") + "/"):
            if best is None or len(mp) > len(best.get("mountPath", "")):
                best = m
    return best


def check_container(c, where, container, volumes):
    keys_ok(c, where, container, "container")
    c.check(bool(container.get("name")), f"{where}: has a name")
    c.check(bool(container.get("image")), f"{where}: has an image")
    c.check(bool(container.get("command") or container.get("args")), f"{where}: has a command or args")
    sc = container.get("securityContext") or {}
    if sc:
        keys_ok(c, where, sc, "securityContext")
        if "capabilities" in sc:
            keys_ok(c, where, sc["capabilities"], "capabilities")
        if "seccompProfile" in sc:
            keys_ok(c, where, sc["seccompProfile"], "seccompProfile")
        adds = [str(x).upper().removeprefix("CAP_") for x in (sc.get("capabilities") or {}).get("add") or []]
        c.check(not (sc.get("allowPrivilegeEscalation") is False and (sc.get("privileged") or "SYS_ADMIN" in adds)),
                f"{where}: allowPrivilegeEscalation false is not paired with privileged or SYS_ADMIN",
                "Kubernetes refuses that pair")
    for m in container.get("volumeMounts") or []:
        keys_ok(c, where, m, "volumeMount", m.get("name", ""))
        c.check(m.get("name") in volumes, f"{where}: volumeMount {m.get('name')} names a volume of the pod")
        c.check(str(m.get("mountPath", "")).startswith("/"), f"{where}: volumeMount {m.get('name')} has an absolute mountPath")
    for e in container.get("env") or []:
        keys_ok(c, where, e, "env", e.get("name", ""))
    for p in container.get("ports") or []:
        keys_ok(c, where, p, "port", str(p.get("name") or p.get("containerPort", "")))
    res = container.get("resources") or {}
    keys_ok(c, where, res, "resources")
    for kind in ("requests", "limits"):
        for r in ("cpu", "memory"):
            v = (res.get(kind) or {}).get(r)
            c.check(v is not None and quantity(r, v) is not None, f"{where}: resources.{kind}.{r} is set and valid",
                    f"got {v!r}")
    for r in ("cpu", "memory"):
        req, lim = (res.get("requests") or {}).get(r), (res.get("limits") or {}).get(r)
        if req is not None and lim is not None and quantity(r, req) is not None and quantity(r, lim) is not None:
            c.check(quantity(r, req) <= quantity(r, lim), f"{where}: resources.requests.{r} <= limits.{r}",
                    f"{req} > {lim}")


def check_least_privilege(c, where, container):
    sc = container.get("securityContext") or {}
    c.check(sc.get("readOnlyRootFilesystem") is True, f"{where}: securityContext.readOnlyRootFilesystem is true")
    c.check(sc.get("allowPrivilegeEscalation") is False, f"{where}: securityContext.allowPrivilegeEscalation is false")
    c.check(sc.get("privileged") is not True, f"{where}: securityContext.privileged is not true")
    drops = [str(x).upper() for x in (sc.get("capabilities") or {}).get("drop") or []]
    c.check("ALL" in drops, f"{where}: securityContext.capabilities.drop holds ALL")


def check_manifest(c, path, helps):
    rel = os.path.relpath(path)
    try:
        with open(path, encoding="utf-8") as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
    except (OSError, yaml.YAMLError) as e:
        c.check(False, f"{rel}: parses as YAML", str(e).replace("\n", " "))
        return
    c.check(bool(docs), f"{rel}: parses as YAML and holds a document")
    for doc in docs:
        if not c.check(isinstance(doc, dict), f"{rel}: document is a mapping"):
            continue
        kind = doc.get("kind")
        meta = doc.get("metadata") or {}
        name = meta.get("name")
        where = f"{rel}: {kind}/{name}"
        c.check(bool(doc.get("apiVersion")), f"{where}: has apiVersion")
        c.check(bool(kind), f"{where}: has kind")
        c.check(bool(name), f"{where}: has metadata.name")
        keys_ok(c, where, meta, "metadata")
        if f"{kind}.spec" in KNOWN:
            keys_ok(c, where, doc.get("spec") or {}, f"{kind}.spec")
        tmeta, pod = pod_template(doc)
        if tmeta is None:
            continue
        c.check(bool(meta.get("namespace")), f"{where}: has metadata.namespace")
        if not c.check(isinstance(pod, dict), f"{where}: has a pod template spec"):
            continue
        if kind in POD_TEMPLATE_KINDS:
            keys_ok(c, where, doc["spec"]["template"], "template")
        keys_ok(c, where, pod, "pod")
        if kind in ("DaemonSet", "Deployment", "StatefulSet", "ReplicaSet"):
            sel = ((doc.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
            labels = tmeta.get("labels") or {}
            c.check(bool(sel) and all(labels.get(k) == v for k, v in sel.items()),
                    f"{where}: spec.selector.matchLabels match the template's labels", f"{sel} vs {labels}")
        if pod.get("securityContext"):
            keys_ok(c, where, pod["securityContext"], "podSecurityContext")
        for i, t in enumerate(pod.get("tolerations") or []):
            keys_ok(c, where, t, "toleration", str(i + 1))
        volumes = {}
        for v in pod.get("volumes") or []:
            vname = v.get("name")
            c.check(bool(vname) and vname not in volumes, f"{where}: volume {vname} has a unique name")
            sources = [k for k in v if k != "name"]
            c.check(len(sources) == 1 and sources[0] in VOLUME_SOURCES, f"{where}: volume {vname} has one known source",
                    f"keys: {sources}")
            for s in sources:
                if s in KNOWN:
                    keys_ok(c, where, v[s] or {}, s, f"of volume {vname}")
            if "hostPath" in v:
                c.check((v["hostPath"] or {}).get("type", "") in HOSTPATH_TYPES,
                        f"{where}: volume {vname} has a valid hostPath type")
            volumes[vname] = v
        containers = pod.get("containers") or []
        if not c.check(bool(containers), f"{where}: has containers"):
            continue
        names = [ct.get("name") for ct in containers]
        c.check(len(names) == len(set(names)), f"{where}: container names are unique", f"{names}")
        for ct in containers:
            cwhere = f"{where}: container {ct.get('name')}"
            check_container(c, cwhere, ct, volumes)
            for args in torchdiag_invocations(ct):
                sub = check_torchdiag_cli(c, cwhere, args, helps)
                check_least_privilege(c, cwhere, ct)
                check_role(c, cwhere, kind, pod, ct, args, sub, volumes)
        if kind == "Job":
            c.check(pod.get("restartPolicy") == "Never", f"{where}: restartPolicy is Never")
            c.check((doc.get("spec") or {}).get("backoffLimit") == 0, f"{where}: backoffLimit is 0")


def check_role(c, where, kind, pod, container, args, sub, volumes):
    """Rules that follow from what the torchdiag command does in its pod."""
    if sub == "watch":
        textfile = option_value(args, "--textfile-dir")
        if textfile is not None:
            m = mount_of(container, textfile)
            c.check(m is not None and m.get("readOnly") is not True,
                    f"{where}: --textfile-dir {textfile} is a writable volume mount")
        if kind == "DaemonSet":
            c.check(pod.get("hostPID") is True, f"{where}: the DaemonSet has hostPID: true")
            c.check(textfile is not None, f"{where}: the DaemonSet's watch writes a --textfile-dir")
            if textfile is not None:
                m = mount_of(container, textfile)
                hp = (volumes.get(m.get("name")) or {}).get("hostPath") if m else None
                c.check(bool(hp) and hp.get("type") == "DirectoryOrCreate",
                        f"{where}: --textfile-dir {textfile} is a hostPath volume of type DirectoryOrCreate",
                        f"volume: {volumes.get(m.get('name')) if m else None}")
            sysm = [m for m in container.get("volumeMounts") or [] if m.get("mountPath") == "/sys"]
            hp = (volumes.get(sysm[0].get("name")) or {}).get("hostPath") if sysm else None
            c.check(bool(hp) and hp.get("path") == "/sys" and sysm[0].get("readOnly") is True,
                    f"{where}: the node's /sys is mounted read-only at /sys")
            tol = pod.get("tolerations") or []
            c.check(any(t.get("operator") == "Exists" and not t.get("key") for t in tol),
                    f"{where}: the DaemonSet tolerates every taint")
            sc = container.get("securityContext") or {}
            adds = {str(x).upper().removeprefix("CAP_") for x in (sc.get("capabilities") or {}).get("add") or []}
            c.check("SYS_PTRACE" in adds, f"{where}: the DaemonSet adds SYS_PTRACE (--all reads other processes' maps)")
        elif "--all" in args:
            c.check(pod.get("shareProcessNamespace") is True or pod.get("hostPID") is True,
                    f"{where}: watch --all in a pod shares the pod's PID namespace (shareProcessNamespace)")
            if textfile is not None:
                m = mount_of(container, textfile)
                others = [ct.get("name") for ct in pod.get("containers") or []
                          if ct is not container and m and any(x.get("name") == m.get("name")
                                                               for x in ct.get("volumeMounts") or [])]
                c.check(bool(others), f"{where}: another container mounts the --textfile-dir volume to serve it")
    if sub == "recommend":
        model = option_value(args, "--model")
        if model is not None:
            c.check(mount_of(container, model) is not None, f"{where}: --model {model} lies in a volume mount")


def main(argv):
    if len(argv) < 3 or argv[1] in ("-h", "--help"):
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    binary = argv[1]
    c = Checks()
    helps = Help(binary)
    c.check(os.access(binary, os.X_OK), f"torchdiag binary {binary} is executable")
    for path in argv[2:]:
        check_manifest(c, path, helps)
    print(f"manifests: {c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
