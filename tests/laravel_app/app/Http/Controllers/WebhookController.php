<?php

namespace App\Http\Controllers;

use App\Models\Agent;
use App\Models\APIKey;
use App\Models\Webhook;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\Log;

class WebhookController extends Controller
{
    public function index(Request $request)
    {
        $hooks = Webhook::where('created_by_user_id', $request->user()->id)->orderBy('created_at')->get();
        $keys = APIKey::query()->whereIn('created_by_user_id', [$request->user()->id])->pluck('name', 'created_by_user_id');
        $agents = Agent::where('created_by_user_id', $request->user()->id)->get();
        Log::info('listing webhooks by created_by_user_id for the current user');

        return response()->json(['hooks' => $hooks, 'keys' => $keys, 'agents' => $agents]);
    }

    public function store(Request $request)
    {
        $hook = Webhook::create([
            'url' => $request->input('url'),
            'created_by_user_id' => $request->user()->id,
        ]);

        return response()->json(['id' => $hook->id, 'created_by_user_id' => $hook->created_by_user_id]);
    }

    public function filter($query, Request $request)
    {
        return $query->where('created_by_user_id', $request->user()->id);
    }
}
