using FhirRisk.Server.Tests.Infrastructure;
using static FhirRisk.Server.Tests.Deployment.DeployManifests;

namespace FhirRisk.Server.Tests.Deployment;

/// <summary>
/// The Dockerfile and deploy/ agree with the server: every setting they pass is one the server binds, probes hit its
/// health endpoints on its HTTP port, ports match across image, Deployment, Service and compose file, the pods run
/// non-root on a read-only root, secrets are referenced rather than written, the GPU overlay asks for a GPU, and the TLS
/// overlay's probes speak HTTPS to a server given its certificate settings.
/// </summary>
public sealed class DeployManifestTests
{
    [Fact]
    public void EveryYamlFile_ParsesAsTheSubsetTheTestsRead()
    {
        var files = YamlFiles.ToList();
        Assert.NotEmpty(files);
        foreach (var file in files)
            Assert.NotEmpty(YamlSubsetReader.ReadDocuments(File.ReadAllText(file)));
    }

    [Fact]
    public void YamlSubsetReader_ReadsNestedBlocksAndRefusesWhatItDoesNotKnow()
    {
        var document = Assert.Single(YamlSubsetReader.ReadDocuments("""
            a:
              b: "x: y" # comment
              list:
                - name: one
                  value: '1'
                - plain:colon
                - [p, "q"]
              empty: {}
            """));
        Assert.Equal("x: y", At(document, "a", "b"));
        Assert.Equal("1", At(document, "a", "list", 0, "value"));
        Assert.Equal("plain:colon", At(document, "a", "list", 1));
        Assert.Equal(["p", "q"], List(At(document, "a", "list", 2)).Select(Text));
        Assert.Empty(Map(At(document, "a", "empty")));
        Assert.Throws<FormatException>(() => YamlSubsetReader.ReadDocuments("a: |\n  text\n"));
        Assert.Throws<FormatException>(() => YamlSubsetReader.ReadDocuments("a: 1\n  b: 2\n"));
    }

    [Fact]
    public void Settings_InTheImageConfigMapAndComposeFile_AreKeysTheServerBinds()
    {
        Assert.Contains("TimelineStore", ServerConfigurationKeys.SectionNames);
        var compose = Map(At(Single("compose/compose.yaml"), "services", "server", "environment")).Keys;
        var deploymentEnv = List(Container()["env"]).Select(e => Text(Map(e)["name"]));
        var variables = Settings().Keys.Concat(DockerfileEnvironment().Keys).Concat(compose).Concat(deploymentEnv).ToList();
        Assert.Empty(variables.Select(ServerConfigurationKeys.Problem).OfType<string>());
        Assert.NotNull(ServerConfigurationKeys.Problem("FHIRRISK_TimelineStore__NoSuchKey"));
        Assert.NotNull(ServerConfigurationKeys.Problem("FHIRRISK_CdsHooks__Authentication__Issuers__first__Issuer"));
    }

    [Fact]
    public void Image_IsProductionNonRoot_AndExposesTheConfiguredPorts()
    {
        var instructions = DockerfileInstructions();
        var environment = DockerfileEnvironment();
        Assert.Equal("Production", environment["ASPNETCORE_ENVIRONMENT"]);
        var user = Assert.Single(instructions, i => i.Keyword == "USER").Arguments;
        Assert.DoesNotContain(user, new[] { "root", "0" });
        var exposed = Assert.Single(instructions, i => i.Keyword == "EXPOSE").Arguments.Split(' ').Select(int.Parse).ToHashSet();
        Assert.Equal(exposed, [int.Parse(environment["FHIRRISK_Http__Port"]), int.Parse(environment["FHIRRISK_Grpc__Port"])]);
        // The server's own probe of /health/live (LivenessProbeTests), which follows Http:Port and Http:Tls.
        Assert.EndsWith($"CMD [\"dotnet\", \"FhirRisk.Server.dll\", \"{FhirRisk.Server.Health.LivenessProbe.Verb}\"]",
            Assert.Single(instructions, i => i.Keyword == "HEALTHCHECK").Arguments, StringComparison.Ordinal);
        Assert.Equal(exposed, ContainerPorts().Values.ToHashSet());
    }

    [Fact]
    public void Deployment_PortsMatchTheSettings_AndTheServiceSpeaksH2cToGrpc()
    {
        var settings = Settings();
        var ports = ContainerPorts();
        Assert.Equal(int.Parse(settings["FHIRRISK_Http__Port"]), ports["http"]);
        Assert.Equal(int.Parse(settings["FHIRRISK_Grpc__Port"]), ports["grpc"]);
        Assert.Equal("0.0.0.0", settings["FHIRRISK_Http__Host"]);
        Assert.Equal("0.0.0.0", settings["FHIRRISK_Grpc__Host"]);
        var servicePorts = List(At(Single("kubernetes/base/service.yaml"), "spec", "ports")).Select(Map).ToDictionary(p => Text(p["name"]));
        Assert.All(servicePorts.Values, p => Assert.Contains(Text(p["targetPort"]), ports.Keys));
        Assert.Equal("kubernetes.io/h2c", servicePorts["grpc"]["appProtocol"]);
        Assert.Equal("grpc", servicePorts["grpc"]["targetPort"]);
        var composePorts = List(At(Single("compose/compose.yaml"), "services", "server", "ports")).Select(Text);
        Assert.Equal(ports.Values.Order(), composePorts.Select(p => int.Parse(p.Split(':')[^1])).Order());
        Assert.All(composePorts, p => Assert.StartsWith("127.0.0.1:", p, StringComparison.Ordinal));
    }

    [Fact]
    public void Deployment_ProbesUseTheHealthEndpointsOnTheHttpPort()
    {
        var container = Container();
        Assert.Equal("/health/live", At(container, "livenessProbe", "httpGet", "path"));
        Assert.Equal("/health/ready", At(container, "readinessProbe", "httpGet", "path"));
        Assert.Equal("/health/live", At(container, "startupProbe", "httpGet", "path"));
        foreach (var probe in new[] { "livenessProbe", "readinessProbe", "startupProbe" })
            Assert.Equal("http", At(container, probe, "httpGet", "port"));
    }

    [Fact]
    public async Task ProbePaths_AreServedByTheServer()
    {
        var container = Container();
        var paths = new[] { "livenessProbe", "readinessProbe", "startupProbe" }.Select(p => Text(At(container, p, "httpGet", "path"))).Distinct();
        await using var server = await TestFhirRiskServer.StartAsync();
        await server.WaitUntilReadyAsync();
        foreach (var path in paths)
        {
            using var response = await server.Http.GetAsync(new Uri(path, UriKind.Relative));
            Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public void Pods_RunNonRootOnAReadOnlyRoot_WithWritableDataAndTmp()
    {
        var podSpec = At(Single("kubernetes/base/deployment.yaml"), "spec", "template", "spec");
        Assert.Equal("true", At(podSpec, "securityContext", "runAsNonRoot"));
        Assert.NotEqual("0", At(podSpec, "securityContext", "runAsUser"));
        var container = Container();
        Assert.Equal("true", At(container, "securityContext", "readOnlyRootFilesystem"));
        Assert.Equal("false", At(container, "securityContext", "allowPrivilegeEscalation"));
        Assert.Equal(["ALL"], List(At(container, "securityContext", "capabilities", "drop")).Select(Text));
        var mounts = List(container["volumeMounts"]).Select(Map).ToDictionary(m => Text(m["mountPath"]), m => Text(m["name"]));
        Assert.Contains("/tmp", mounts.Keys);
        Assert.Contains("/app/data", mounts.Keys);
        Assert.NotNull(At(container, "resources", "requests", "cpu"));
        Assert.NotNull(At(container, "resources", "limits", "memory"));
        var compose = Map(At(Single("compose/compose.yaml"), "services", "server"));
        Assert.Equal("true", compose["read_only"]);
        Assert.Equal(Text(At(podSpec, "securityContext", "runAsUser")), compose["user"]);
        // As the pod: no capabilities, no privilege gain, a memory limit (security review s12 #14).
        Assert.Equal(["ALL"], List(compose["cap_drop"]).Select(Text));
        Assert.Contains("no-new-privileges:true", List(compose["security_opt"]).Select(Text));
        Assert.NotNull(compose["mem_limit"]);
    }

    [Fact]
    public void Secrets_AreReferenced_AndTheJwksFileIsMountedWhereTheSettingsPoint()
    {
        var container = Container();
        var connection = Map(Assert.Single(List(container["env"]), e => Text(Map(e)["name"]) == "FHIRRISK_TimelineStore__ConnectionString"));
        var secretName = Text(At(connection, "valueFrom", "secretKeyRef", "name"));
        var secretKeys = Map(At(Single("kubernetes/base/secret.example.yaml"), "stringData")).Keys;
        Assert.Contains(Text(At(connection, "valueFrom", "secretKeyRef", "key")), secretKeys);
        Assert.DoesNotContain(Settings().Keys, k => k.Contains("ConnectionString", StringComparison.Ordinal));

        var jwksMount = Map(Assert.Single(List(container["volumeMounts"]), m => Text(Map(m)["name"]) == "jwks"));
        var jwksVolume = Map(Assert.Single(List(At(Single("kubernetes/base/deployment.yaml"), "spec", "template", "spec", "volumes")), v => Text(Map(v)["name"]) == "jwks"));
        Assert.Equal(secretName, At(jwksVolume, "secret", "secretName"));
        var item = Map(Assert.Single(List(At(jwksVolume, "secret", "items"))));
        Assert.Contains(Text(item["key"]), secretKeys);
        Assert.Equal($"{Text(jwksMount["mountPath"])}/{Text(item["path"])}", Settings()["FHIRRISK_CdsHooks__Authentication__Issuers__0__JwksPath"]);
        Assert.Equal("Jwt", Settings()["FHIRRISK_CdsHooks__Authentication__Mode"]);

        var kustomization = List(At(Single("kubernetes/base/kustomization.yaml"), "resources")).Select(Text);
        Assert.DoesNotContain("secret.example.yaml", kustomization);
    }

    [Fact]
    public void Autoscaler_AndDisruptionBudget_TargetTheDeployment()
    {
        var deployment = Single("kubernetes/base/deployment.yaml");
        var name = Text(At(deployment, "metadata", "name"));
        var labels = Map(At(deployment, "spec", "template", "metadata", "labels"));
        var hpa = Single("kubernetes/base/hpa.yaml");
        Assert.Equal("Deployment", At(hpa, "spec", "scaleTargetRef", "kind"));
        Assert.Equal(name, At(hpa, "spec", "scaleTargetRef", "name"));
        Assert.True(int.Parse(Text(At(hpa, "spec", "minReplicas"))) >= 2);
        var pdbSelector = Map(At(Single("kubernetes/base/pdb.yaml"), "spec", "selector", "matchLabels"));
        Assert.All(pdbSelector, p => Assert.Equal(p.Value, labels[p.Key]));
        var serviceSelector = Map(At(Single("kubernetes/base/service.yaml"), "spec", "selector"));
        Assert.All(serviceSelector, p => Assert.Equal(p.Value, labels[p.Key]));
        var resources = List(At(Single("kubernetes/base/kustomization.yaml"), "resources")).Select(Text).ToList();
        Assert.All(resources, r => Assert.True(File.Exists(Path.Combine(Folder, "kubernetes", "base", r)), r));
    }

    [Fact]
    public void GpuOverlay_PatchesTheBaseDeploymentWithAGpuNodeSelectorAndToleration()
    {
        var kustomization = Single("kubernetes/gpu/kustomization.yaml");
        Assert.Equal(["../base"], List(kustomization["resources"]).Select(Text));
        var patch = Map(Assert.Single(List(kustomization["patches"])));
        Assert.Equal(At(Single("kubernetes/base/deployment.yaml"), "metadata", "name"), At(patch, "target", "name"));
        var gpu = Single(Path.Combine("kubernetes", "gpu", Text(patch["path"])));
        var podSpec = At(gpu, "spec", "template", "spec");
        var container = Map(Assert.Single(List(At(podSpec, "containers"))));
        Assert.Equal(Container()["name"], container["name"]);
        Assert.Equal("1", At(container, "resources", "limits", "nvidia.com/gpu"));
        Assert.NotNull(At(podSpec, "nodeSelector"));
        Assert.Contains(List(At(podSpec, "tolerations")), t => Text(Map(t)["key"]) == "nvidia.com/gpu");
        var environment = List(container["env"]).Select(Map).ToDictionary(e => Text(e["name"]), e => Text(e["value"]));
        Assert.Equal("Torch", environment["FHIRRISK_Model__Backend"]);
        Assert.Equal("cuda", environment["FHIRRISK_Model__Device"]);
        Assert.All(environment.Keys, k => Assert.Null(ServerConfigurationKeys.Problem(k)));
    }

    [Fact]
    public void NetworkPolicy_SelectsThePods_AdmitsTheirPorts_AndKeepsEgressOffPrivateAndMetadataAddresses()
    {
        var policy = Single("kubernetes/base/networkpolicy.yaml");
        Assert.Contains("networkpolicy.yaml", List(At(Single("kubernetes/base/kustomization.yaml"), "resources")).Select(Text));
        var labels = Map(At(Single("kubernetes/base/deployment.yaml"), "spec", "template", "metadata", "labels"));
        var selector = Map(At(policy, "spec", "podSelector", "matchLabels"));
        Assert.NotEmpty(selector);
        Assert.All(selector, p => Assert.Equal(p.Value, labels[p.Key]));
        Assert.Equal(["Egress", "Ingress"], List(At(policy, "spec", "policyTypes")).Select(Text).Order(StringComparer.Ordinal));

        // Every port the container serves is admitted by name, the gRPC one only from labelled clients.
        var containerPorts = List(Container()["ports"]).Select(p => Text(Map(p)["name"])).Order(StringComparer.Ordinal).ToList();
        var ingress = List(At(policy, "spec", "ingress")).Select(Map).ToList();
        var admitted = ingress.SelectMany(rule => List(rule["ports"]).Select(p => Text(Map(p)["port"]))).Order(StringComparer.Ordinal);
        Assert.Equal(containerPorts, admitted);
        var grpc = Assert.Single(ingress, rule => List(rule["ports"]).Any(p => Text(Map(p)["port"]) == "grpc"));
        Assert.NotEmpty(Map(At(Map(Assert.Single(List(grpc["from"]))), "podSelector", "matchLabels")));

        // Egress: DNS, the store, and HTTPS to public addresses only.
        var egress = List(At(policy, "spec", "egress")).Select(Map).ToList();
        var egressPorts = egress.SelectMany(rule => List(rule["ports"]).Select(p => Text(Map(p)["port"]))).ToHashSet();
        Assert.Superset(new HashSet<string> { "53", "5432", "443" }, egressPorts);
        var https = Assert.Single(egress, rule => List(rule["ports"]).Any(p => Text(Map(p)["port"]) == "443"));
        var block = Map(At(Map(Assert.Single(List(https["to"]))), "ipBlock"));
        Assert.Equal("0.0.0.0/0", block["cidr"]);
        Assert.Superset(new HashSet<string> { "10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16", "198.18.0.0/15", "240.0.0.0/4" },
            List(block["except"]).Select(Text).ToHashSet());

        // The store's rule names where the database is (security review s13 L10): never any address.
        var store = Assert.Single(egress, rule => List(rule["ports"]).Any(p => Text(Map(p)["port"]) == "5432"));
        Assert.True(store.ContainsKey("to"), "the 5432 rule must have a `to`");
        var storeBlocks = List(store["to"]).Select(Map).ToList();
        Assert.NotEmpty(storeBlocks);
        Assert.DoesNotContain(storeBlocks, to => to.ContainsKey("ipBlock") && Text(Map(to["ipBlock"])["cidr"]) == "0.0.0.0/0");
    }

    [Fact]
    public void TlsOverlay_PatchesBaseResourcesThatExist_AndEveryProbeToHttps()
    {
        var kustomization = Single("kubernetes/tls/kustomization.yaml");
        Assert.Equal(["../base"], List(kustomization["resources"]).Select(Text));
        var baseResources = List(At(Single("kubernetes/base/kustomization.yaml"), "resources")).Select(Text)
            .Select(r => Single(Path.Combine("kubernetes", "base", r)))
            .Select(d => (Kind: Text(d["kind"]), Name: Text(At(d, "metadata", "name")))).ToHashSet();
        var patches = List(kustomization["patches"]).Select(Map).ToList();
        Assert.Equal(["Deployment", "Service"], patches.Select(p => Text(At(p, "target", "kind"))).Order(StringComparer.Ordinal));
        foreach (var patch in patches)
        {
            var target = (Kind: Text(At(patch, "target", "kind")), Name: Text(At(patch, "target", "name")));
            Assert.Contains(target, baseResources);
            var document = Single(Path.Combine("kubernetes", "tls", Text(patch["path"])));
            Assert.Equal(target, (Text(document["kind"]), Text(At(document, "metadata", "name"))));
        }

        var container = TlsContainer();
        Assert.Equal(Container()["name"], container["name"]);
        var baseProbes = Container().Keys.Where(k => k.EndsWith("Probe", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(baseProbes, container.Keys.Where(k => k.EndsWith("Probe", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        foreach (var probe in baseProbes)
        {
            // Only the scheme: the base's path and port stand (strategic merge keeps what the patch does not name).
            Assert.Equal(["scheme"], Map(At(container, probe, "httpGet")).Keys);
            Assert.Equal("HTTPS", At(container, probe, "httpGet", "scheme"));
            Assert.NotNull(At(Container(), probe, "httpGet", "path"));
        }
    }

    [Fact]
    public void TlsOverlay_MountsTheTlsSecretWhereBothListenersCertificateSettingsPoint()
    {
        var container = TlsContainer();
        var environment = TlsEnvironment();
        Assert.All(environment.Keys, k => Assert.Null(ServerConfigurationKeys.Problem(k)));
        var mount = Map(Assert.Single(List(container["volumeMounts"])));
        Assert.Equal("true", mount["readOnly"]);
        var podSpec = At(Single("kubernetes/tls/deployment-tls.yaml"), "spec", "template", "spec");
        var volume = Map(Assert.Single(List(At(podSpec, "volumes"))));
        Assert.Equal(mount["name"], volume["name"]);
        // A Secret of type kubernetes.io/tls holds PEM files under these two keys (kubectl create secret tls).
        var items = List(At(volume, "secret", "items")).Select(Map).ToDictionary(i => Text(i["key"]), i => $"{Text(mount["mountPath"])}/{Text(i["path"])}");
        Assert.Equal(["tls.crt", "tls.key"], items.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(0, int.Parse(Text(At(volume, "secret", "defaultMode")), System.Globalization.CultureInfo.InvariantCulture) & 0b111); // not world-readable
        foreach (var listener in new[] { "Http", "Grpc" })
        {
            Assert.Equal(items["tls.crt"], environment[$"FHIRRISK_{listener}__Tls__CertificatePath"]);
            Assert.Equal(items["tls.key"], environment[$"FHIRRISK_{listener}__Tls__KeyPath"]);
        }
        // Beside the base's, not in place of them.
        var baseVolumes = List(At(Single("kubernetes/base/deployment.yaml"), "spec", "template", "spec", "volumes")).Select(v => Text(Map(v)["name"]));
        Assert.DoesNotContain(Text(volume["name"]), baseVolumes);
        Assert.DoesNotContain(Text(mount["mountPath"]), List(Container()["volumeMounts"]).Select(m => Text(Map(m)["mountPath"])));
        Assert.DoesNotContain(List(Container()["env"]).Select(e => Text(Map(e)["name"])), environment.ContainsKey);
    }

    [Fact]
    public void TlsOverlay_TellsTheServiceThatBothPortsSpeakTls()
    {
        var ports = List(At(Single("kubernetes/tls/service-tls.yaml"), "spec", "ports")).Select(Map).ToList();
        Assert.Equal("replace", Assert.Single(ports, p => p.ContainsKey("$patch"))["$patch"]); // strategic merge keys ports by number
        var patched = ports.Where(p => !p.ContainsKey("$patch")).ToDictionary(p => Text(p["name"]));
        var basePorts = List(At(Single("kubernetes/base/service.yaml"), "spec", "ports")).Select(Map).ToDictionary(p => Text(p["name"]));
        Assert.Equal(basePorts.Keys.Order(StringComparer.Ordinal), patched.Keys.Order(StringComparer.Ordinal));
        Assert.All(patched.Values, p => Assert.Equal(basePorts[Text(p["name"])]["targetPort"], p["targetPort"]));
        Assert.All(patched.Values, p => Assert.Equal("https", p["appProtocol"]));
    }

    [Fact]
    public async Task TlsOverlay_ProbesAreAnsweredByAServerWithTheOverlaysSettings()
    {
        // The Secret's files where the overlay mounts them, under a temporary folder, and the overlay's settings.
        using var certificate = new TestCertificate();
        using var mounted = new FhirRisk.Testing.TempDirectory("tls-mount");
        var mountPath = Text(Map(Assert.Single(List(TlsContainer()["volumeMounts"])))["mountPath"]);
        File.Copy(certificate.PemPath, mounted.File("tls.crt"));
        File.Copy(certificate.KeyPemPath, mounted.File("tls.key"));
        var settings = TlsEnvironment().ToDictionary(
            e => e.Key["FHIRRISK_".Length..].Replace("__", ":", StringComparison.Ordinal),
            e => (string?)e.Value.Replace(mountPath, mounted.Path, StringComparison.Ordinal));
        await using var server = await TestFhirRiskServer.StartAsync(settings);
        using var handler = certificate.TrustingHandler();
        using var client = new HttpClient(handler) { Timeout = TestFhirRiskServer.Timeout };
        var container = Container();
        var tls = TlsContainer();

        foreach (var probe in new[] { "startupProbe", "livenessProbe", "readinessProbe" })
        {
            Assert.Equal("http", At(container, probe, "httpGet", "port")); // the HTTP listener's port
            var uri = new Uri($"{Text(At(tls, probe, "httpGet", "scheme")).ToLowerInvariant()}://127.0.0.1:{server.HttpPort}{Text(At(container, probe, "httpGet", "path"))}");
            using var timeout = new CancellationTokenSource(TestFhirRiskServer.Timeout);
            while (true) // readiness follows the model's load
            {
                using var response = await client.GetAsync(uri, timeout.Token);
                if (response.IsSuccessStatusCode)
                    break;
                await Task.Delay(100, timeout.Token);
            }
        }
        await Assert.ThrowsAsync<HttpRequestException>(() => server.Http.GetAsync(new Uri("/health/live", UriKind.Relative))); // the base's cleartext probe
    }

    [Fact]
    public void Compose_UsesThePostgresTimelineStoreOfItsPostgresService()
    {
        var services = Map(At(Single("compose/compose.yaml"), "services"));
        var environment = Map(At(services, "server", "environment"));
        Assert.Equal("postgresql", environment["FHIRRISK_TimelineStore__Provider"]);
        Assert.Contains("Host=postgres;", Text(environment["FHIRRISK_TimelineStore__ConnectionString"]), StringComparison.Ordinal);
        Assert.Contains("postgres", services.Keys);
        Assert.Equal("service_healthy", At(services, "server", "depends_on", "postgres", "condition"));
        Assert.Equal("../..", At(services, "server", "build", "context"));
    }

    [Fact]
    public void Examples_WithAPostgresStore_KeepClientTokenIdsInIt()
    {
        // Security review s12 #4: with the default (memory) replay cache each replica accepts a captured token once.
        var compose = Map(At(Single("compose/compose.yaml"), "services", "server", "environment"));
        Assert.Equal("postgresql", Settings()["FHIRRISK_TimelineStore__Provider"]);
        Assert.Equal("timeline-store", Settings()["FHIRRISK_CdsHooks__Authentication__ReplayStore"]);
        Assert.Equal("timeline-store", Text(compose["FHIRRISK_CdsHooks__Authentication__ReplayStore"]));
    }
}
