FROM python:3.11-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir .
ENV ADUAN_API_HOST=0.0.0.0
CMD ["aduan", "serve", "--api-only"]
