# syntax=docker/dockerfile:1
# The container image for kpt and kustomize container mode:
#   kpt fn eval --image ghcr.io/inject-sidecar/inject-sidecar:0.2.0 -- ...
# Build stage: the bundle and the standalone binary. Final stage: Node, the executable and its V8
# code cache (made by the final image's own Node, so V8 accepts it), run as nobody (65534).
#
# The base images are build arguments, so a machine without a registry can build with stand-ins
# (test/image.test.ts does, with podman). The defaults are the public images of the Node release
# the project ships (scripts/runtime.mjs: SHIPPED; test/ship.test.ts checks they agree), an LTS
# line (docs/design.md says why this one). Pin them by digest in your own builds:
#   docker buildx imagetools inspect node:26.12.1-alpine   # prints the index digest
#   --build-arg FUNCTION_IMAGE=node:26.12.1-alpine@sha256:<digest>
ARG NODE_VERSION=26.12.1
ARG BUILD_IMAGE=node:${NODE_VERSION}-trixie-slim
ARG TOOLS_IMAGE=busybox:1.37
ARG FUNCTION_IMAGE=node:${NODE_VERSION}-alpine

FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/ scripts/
COPY src/ src/
# build:sea builds the bundle first, then the standalone binaries from it (x64 and arm64, each with
# the shipped Node from npm, whatever Node this stage has), named here by Docker's architecture
# words for the tools stage.
RUN npm run build:sea && cp dist/inject-sidecar-linux-x64 dist/inject-sidecar-linux-amd64

# For Argo CD's repo-server, which has no Node: an init container copies this binary into a
# volume the repo-server mounts (examples/argocd). One image per architecture: with
# `docker buildx build --platform linux/amd64,linux/arm64 --target tools`, one tag serves both and
# each node pulls its own; TARGETARCH picks the binary (buildx and podman set it).
FROM ${TOOLS_IMAGE} AS tools
ARG TARGETARCH=amd64
COPY --from=build /src/dist/inject-sidecar-linux-${TARGETARCH} /inject-sidecar
# Numeric: the kubelet's runAsNonRoot check refuses a user it cannot see is not root (a name).
USER 65534:65534
ENTRYPOINT ["/inject-sidecar"]

# The code cache must come from the Node that will run it: made here, in the final image's base.
FROM ${FUNCTION_IMAGE} AS code-cache
COPY --from=build /src/dist/inject-sidecar /usr/local/bin/inject-sidecar
COPY scripts/code-cache.mjs /code-cache.mjs
RUN ["node", "/code-cache.mjs", "/usr/local/bin/inject-sidecar"]

FROM ${FUNCTION_IMAGE} AS function
LABEL org.opencontainers.image.title="inject-sidecar" \
      org.opencontainers.image.description="KRM function: a filtering sidecar (WAF, proxy) in front of label-selected workloads, with their Services rewired to it" \
      org.opencontainers.image.version="0.2.0" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.documentation="README.md"
COPY --from=code-cache /usr/local/bin/inject-sidecar /usr/local/bin/inject-sidecar.*.cache /usr/local/bin/
WORKDIR /tmp
USER 65534:65534
ENTRYPOINT ["node", "/usr/local/bin/inject-sidecar"]
