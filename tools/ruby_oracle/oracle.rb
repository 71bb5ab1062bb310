# frozen_string_literal: true
#
# Ruby oracle for the mockserver ports (not run by CI; CI has no Ruby).
#
# Reads JSON lines {"op": OP, "arg": ARG} on stdin and writes one JSON line per request:
# {"ok": RESULT} or {"error": "ExceptionClass", "message": "..."}.  Byte strings travel as
# hex ("hex" key), text as JSON strings.  Needs Debian's ruby 3.1, ruby-rack 2.2.22,
# ruby-actionpack and ruby-activemodel 6.1.7.10 (apt-get install ruby-activemodel).
#
#   op        arg                     what runs
#   get       {"hex": raw query}      ActionDispatch::Request#GET (Rack parse_nested_query,
#                                     Rails' encoding check and deep munge), QUERY_STRING binary
#                                     as Puma delivers it
#   route     {"hex": raw path}       a RouteSet with `namespace :api { resources
#                                     :train_sessions, only: [:index, :show] }`, called like the
#                                     app (normalize_path, Journey, path-parameter check)
#   normalize {"hex": raw path}       Journey::Router::Utils.normalize_path, answered as hex
#   cast_id   "segment"               ActiveModel::Type::Integer (limit 4) serialize, as
#                                     ActiveRecord's find binds the id: nil = 404
#   token     "header" | null         HttpAuthentication::Token.token_and_options&.first, then
#                                     blank? -> nil
#   strip / to_i / blank / inspect    String#strip, String#to_i, blank?, #inspect
#   to_date   "text"                  Date.parse(text, false) rescue nil -> [y, m, d]
require "json"
require "date"
require "action_controller"
require "active_model"

Encoding.default_external = Encoding::UTF_8 # what Rails sets (railties lib/rails.rb)
Encoding.default_internal = Encoding::UTF_8

module Api
  class TrainSessionsController < ActionController::API
    def index
      render json: { action: "index", id: nil, format: request.path_parameters[:format] }
    end

    def show
      p = request.path_parameters
      render json: { action: "show", id: p[:id], format: p[:format] }
    end
  end
end

ROUTES = ActionDispatch::Routing::RouteSet.new
ROUTES.draw do
  namespace :api do
    resources :train_sessions, only: %i[index show]
  end
end

INT4 = ActiveModel::Type::Integer.new(limit: 4)
AuthRequest = Struct.new(:authorization)

def bytes(arg) = [arg.fetch("hex")].pack("H*").b

def run(op, arg)
  case op
  when "get"
    env = Rack::MockRequest.env_for("/x")
    env["QUERY_STRING"] = bytes(arg)
    ActionDispatch::Request.new(env).GET.to_hash
  when "route"
    env = Rack::MockRequest.env_for("/")
    env["PATH_INFO"] = bytes(arg)
    status, _headers, body = ROUTES.call(env)
    text = +""
    body.each { |part| text << part }
    status == 200 ? JSON.parse(text) : { "action" => nil, "status" => status }
  when "normalize"
    ActionDispatch::Journey::Router::Utils.normalize_path(bytes(arg)).unpack1("H*")
  when "cast_id"
    begin
      INT4.serialize(arg)
    rescue ActiveModel::RangeError
      nil
    end
  when "token"
    token = ActionController::HttpAuthentication::Token.token_and_options(AuthRequest.new(arg))&.first
    token.blank? ? nil : token
  when "strip" then arg.strip
  when "to_i" then arg.to_i.to_s(16) # hex: Python parses any length of it, unlike decimal
  when "blank" then arg.blank?
  when "inspect" then arg.inspect
  when "to_date"
    d = (Date.parse(arg, false) rescue nil)
    d && [d.year, d.mon, d.mday]
  else raise "unknown op #{op}"
  end
end

$stdout.sync = true
$stdin.each_line do |line|
  req = JSON.parse(line, max_nesting: false)
  out =
    begin
      { "ok" => run(req["op"], req["arg"]) }
    rescue StandardError => e
      { "error" => e.class.name, "message" => e.message.dup.force_encoding("UTF-8").scrub }
    end
  line =
    begin
      JSON.generate(out, max_nesting: false)
    rescue JSON::JSONError # a non-UTF-8 string got through: report it, don't die
      JSON.generate({ "error" => "NonUTF8Result", "message" => out.inspect.dup.force_encoding("UTF-8").scrub })
    end
  $stdout.puts line
end
