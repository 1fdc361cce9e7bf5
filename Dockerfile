# fleetgate container image: docker build -t fleetgate .
#   docker run -p 9201:9201 -v $PWD/fleetgate.yml:/etc/fleetgate/fleetgate.yml:ro \
#     fleetgate serve --config /etc/fleetgate/fleetgate.yml

# ---- build: compile TypeScript, then keep only production dependencies
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
# The forward queue (forward.queue_dir) and generated rules live under
# /var/lib/fleetgate, owned by the unprivileged user so volumes mounted
# there start writable.
RUN mkdir -p /var/lib/fleetgate/queue /var/lib/fleetgate/rules /etc/fleetgate \
 && chown -R node:node /var/lib/fleetgate
USER node
EXPOSE 9201
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9201/-/ready').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/src/cli/fleetgate.js"]
# Containers listen on all interfaces (DESIGN.md "Public surface"); pass
# `serve --config FILE` for a real config.
CMD ["serve", "--listen", "0.0.0.0:9201"]
