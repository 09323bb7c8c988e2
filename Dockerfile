# The coupakit image: one static binary FROM scratch. Build it with
# `make image`, which compiles bin/image/coupakit (CGO off) and uses bin/image
# as the build context, so no base image is pulled.
FROM scratch
COPY --chown=65532:65532 rootfs/ /
COPY coupakit /coupakit
# In a container the default listen addresses are 0.0.0.0 (printed at
# start), so that published ports reach the servers.
ENV COUPAKIT_LISTEN_ALL=1 \
    XDG_CACHE_HOME=/cache \
    TMPDIR=/tmp
USER 65532:65532
EXPOSE 8080 8081 2222
ENTRYPOINT ["/coupakit"]
CMD ["serve"]
