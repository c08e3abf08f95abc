<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\Eloquent\Relations\BelongsTo;
use Illuminate\Support\Facades\Log;

// decoy: agents keeps created_by_user_id (only webhooks and api_keys renamed it)
class Agent extends Model
{
    protected $fillable = ['name', 'created_by_user_id', 'joined_at'];

    public function creator(): BelongsTo
    {
        return $this->belongsTo(User::class, 'created_by_user_id');
    }

    public function scopeMine($query, string $userId)
    {
        Log::debug('filtering agents by created_by_user_id');
        return $query->where('created_by_user_id', $userId);
    }
}
