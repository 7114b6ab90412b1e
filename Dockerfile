# FhirRisk service image (deploy/README.md): the server published in an SDK stage, run on the ASP.NET runtime as a
# non-root user, serving the bundled demo model (models/demo) unless Model:Directory points elsewhere.
#
#   docker build --build-arg DOTNET_IMAGES=<registry>/dotnet -t fhirrisk-server:0.1.0 .
#
# DOTNET_IMAGES names the repository that holds Microsoft's .NET 10 `sdk` and `aspnet` images (or a mirror of them).
# tools/docker/check-dockerfile.sh replays this file's build stage and starts the result without Docker (CI).
ARG DOTNET_IMAGES

FROM ${DOTNET_IMAGES}/sdk:10.0 AS build
WORKDIR /src
# Build inputs only (.dockerignore keeps bin/, obj/ and everything else out): the server, the libraries it
# references, the wire contract and the demo model the build copies beside the executable.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY proto/ proto/
COPY src/ src/
COPY models/demo/ models/demo/
RUN dotnet restore src/FhirRisk.Server/FhirRisk.Server.csproj
RUN dotnet publish src/FhirRisk.Server/FhirRisk.Server.csproj -c Release --no-restore -o publish -p:UseAppHost=false

FROM ${DOTNET_IMAGES}/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /src/publish .
# The SQLite timeline store (TimelineStore:SqlitePath, default data/timeline.db under /app) needs a folder the
# service user may write; Kubernetes mounts a volume here and keeps the root file system read-only. Mode 0700, as the
# server makes the folders it creates itself: other users of the host may not list the store's files.
RUN mkdir -p /app/data && chown "$APP_UID" /app/data && chmod 0700 /app/data
VOLUME /app/data
# Production turns nothing off: CDS Hooks clients must send JWTs (CdsHooks:Authentication:Mode Jwt, the default), and
# once an issuer is trusted, the server does not start until FHIRRISK_CdsHooks__Authentication__Audience names the
# public base URL EHRs call.
# Listen on every interface (the defaults are 127.0.0.1); ASPNETCORE_HTTP_PORTS is emptied because the server
# binds its own listeners (Http, Grpc sections) and would otherwise warn that the image's default is overridden.
ENV ASPNETCORE_ENVIRONMENT=Production \
    ASPNETCORE_HTTP_PORTS= \
    FHIRRISK_Http__Host=0.0.0.0 \
    FHIRRISK_Http__Port=8080 \
    FHIRRISK_Grpc__Host=0.0.0.0 \
    FHIRRISK_Grpc__Port=50051 \
    FHIRRISK_Model__Directory=models/demo
# HTTP/1.1 (and HTTP/2 with Http:Tls): CDS Hooks, FHIR push, /health/*; gRPC over h2c (TLS when Grpc:Tls is set).
EXPOSE 8080 50051
# The base image has the user `app` (uid $APP_UID, not root).
USER $APP_UID
# Liveness through the server's own probe (docs/operations.md "Container health check"): GET /health/live on the HTTP
# listener, over HTTPS when Http:Tls is set, trusting exactly the configured certificate. It reads the server's settings
# (appsettings.json, FHIRRISK_* variables), not the arguments given to the ENTRYPOINT. The runtime image has no curl,
# wget or openssl, and bash's /dev/tcp, used before, cannot speak TLS; the probe must not add a package.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["dotnet", "FhirRisk.Server.dll", "probe-live"]
ENTRYPOINT ["dotnet", "FhirRisk.Server.dll"]
